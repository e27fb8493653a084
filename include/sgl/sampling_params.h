// SamplingParams: how the next token is chosen and when a request stops, with SGLang's
// names and defaults. temperature < 1e-6 means greedy (argmax). top_k = -1 means the whole
// vocabulary.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sgl {

struct SamplingParams {
  int max_new_tokens = 128;
  float temperature = 1.0f;
  float top_p = 1.0f;
  int top_k = -1;
  float min_p = 0.0f;
  float frequency_penalty = 0.0f;   // minus penalty x count of the token in the output
  float presence_penalty = 0.0f;    // minus penalty once the token is in the output
  float repetition_penalty = 1.0f;  // divides positive / multiplies negative logits of seen tokens
  int min_new_tokens = 0;           // EOS, stop tokens and stop strings are blocked until this many are out
  std::map<int32_t, float> logit_bias;
  bool ignore_eos = false;
  std::vector<int32_t> stop_token_ids;
  std::vector<std::string> stop;  // stop strings, matched in the output text across token boundaries
  bool no_stop_trim = false;      // keep the matched stop string (or stop token's text) in the text
  bool skip_special_tokens = true;
  bool spaces_between_special_tokens = true;  // accepted for SGLang; fast tokenizers (and ours) ignore it
  std::optional<uint64_t> seed;  // per-request seed; unset: derived from the engine's random seed

  // Constrained decoding (at most one): the output must match this regex, validate against
  // this JSON Schema (a JSON text; "{}"-like schemas allow any JSON), or derive from this
  // GBNF grammar (start rule `root`).
  std::optional<std::string> regex;
  std::optional<std::string> json_schema;
  std::optional<std::string> ebnf;

  bool IsConstrained() const { return regex || json_schema || ebnf; }

  bool IsGreedy() const { return temperature < 1e-6f || top_k == 1; }
};

}  // namespace sgl
