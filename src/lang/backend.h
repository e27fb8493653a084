// Backend: what the frontend language needs from a model server: generate a continuation
// of a prompt (streaming its text), prefill a prompt into the prefix cache, and score
// prompts by their tokens' logprobs (for select). Implementations: EngineBackend (the
// in-process sgl::Engine) and HttpBackend (SGLang's native HTTP API). Every method may
// be called from many threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sgl/sampling_params.h"
#include "sgl/status.h"

namespace sgl::lang {

// A prompt: its text and the images it refers to (base64, as SGLang's image_data).
struct Prompt {
  std::string text;
  std::vector<std::string> images_base64;
};

// What SGLang's meta_info says about a finished generation.
struct GenMeta {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;  // prompt tokens reused from the prefix cache
  std::string finish_reason;  // "stop", "length" or "abort"
};

struct GenOutput {
  std::string text;
  GenMeta meta;
};

// One prompt position's logprob as SGLang reports it: [logprob, token id, token text].
struct PromptTokenLogprob {
  std::optional<double> logprob;  // none for the first token of a prompt
  int32_t token_id = 0;
  std::string text;
};

class Backend {
 public:
  using TextCallback = std::function<void(std::string_view)>;
  virtual ~Backend() = default;

  // The model path the server reports (picks the role template).
  virtual std::string model_path() const = 0;
  // Generates a continuation of `prompt`; `on_text` (may be empty) gets the text as it is
  // produced, on the calling thread, in pieces that add up to the returned text.
  virtual Result<GenOutput> Generate(const Prompt& prompt, const SamplingParams& sampling, const TextCallback& on_text) = 0;
  // Runs `prompt` with no new tokens so its KV stays in the prefix cache; returns its
  // prompt length in tokens.
  virtual Result<int64_t> Prefill(const Prompt& prompt) = 0;
  // For each text (one batch): the logprobs of its prompt positions from
  // `logprob_start_len` on, each with its token's text.
  virtual Result<std::vector<std::vector<PromptTokenLogprob>>> PromptLogprobs(const std::vector<std::string>& texts,
                                                                              const std::vector<std::string>& images_base64,
                                                                              int64_t logprob_start_len) = 0;
};

}  // namespace sgl::lang
