// Request: one generation request as the scheduler tracks it. Its tokens are the prompt
// followed by what it has generated so far; `slots` holds the KV slots of the tokens
// whose keys and values are computed, [0, slots.size()). The first cached_prefix_len of
// them belong to the RadixCache (locked through locked_node); the rest to the request.
// Created by the Engine, then owned by the scheduler thread until it finishes.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "constrain/grammar_matcher.h"
#include "runtime/output_text.h"
#include "runtime/penalty_tokens.h"
#include "multimodal/mrope_positions.h"
#include "runtime/radix_cache.h"
#include "runtime/request_image.h"
#include "runtime/sampler.h"
#include "sgl/engine.h"
#include "sgl/sampling_params.h"

namespace sgl {

struct Request {
  // Called on the scheduler thread: for each new token (token set, finished false), and
  // once at the end (finished true; token set only if the last step produced one).
  using Callback = std::function<void(const Request& req, std::optional<int32_t> token, bool finished)>;

  uint64_t id = 0;
  std::vector<int32_t> input_ids;
  SamplingParams params;
  LogprobOptions logprob;
  Callback on_update;
  // The detokenized output and stop strings; null when the request has no tokenizer
  // (then stop strings are not checked).
  std::unique_ptr<OutputText> output_text;

  std::vector<int32_t> output_ids;
  std::vector<int32_t> slots;
  int64_t cached_prefix_len = 0;
  RadixCache::Node* locked_node = nullptr;
  std::unique_ptr<Sampler> sampler;
  // What its penalties look at, updated with its tokens by the logits processing.
  PenaltyTokens penalty_tokens;
  FinishReason finish_reason;  // once finished
  bool finished = false;       // delivered as finished
  int num_retractions = 0;
  int64_t cached_tokens = 0;  // prompt tokens found in the prefix cache at (first) admission
  // When it was first admitted (its queue wait ended), and how many forward passes
  // computed part of its prompt (chunked prefill; again after a retraction).
  std::optional<std::chrono::steady_clock::time_point> admitted_at;
  int prefill_chunks = 0;
  // Forward passes that sampled one of its output tokens, and output tokens appended by
  // jump-forward instead (output length == sampling_steps + jump_forward_tokens, unless
  // a stop trimmed a jump).
  int sampling_steps = 0;
  int64_t jump_forward_tokens = 0;

  // Constrained decoding: the grammar's state after output_ids (null when unconstrained).
  // It moves only with output_ids, which retraction keeps, so it needs no rollback then.
  std::unique_ptr<constrain::GrammarMatcher> grammar;
  double grammar_compile_seconds = 0;
  bool grammar_cache_hit = false;
  std::optional<std::string> grammar_error;  // why the grammar ended it mid-generation
  // Its next-token mask, filled by the GrammarMaskPool during the forward pass of each
  // step that samples it (reused, so the decode loop does not allocate).
  std::vector<uint32_t> grammar_bitmask;
  bool grammar_mask_any = false;  // the mask allows some token

  // Images (vision-language models): their prompt tokens are pad ids past the vocabulary
  // (see image_placeholders.h); the model embeds image_token_id there and the images'
  // encoder rows replace those embeddings. `mrope` holds the prompt's 3-D positions;
  // later tokens sit at position + mrope->rope_delta() on every axis.
  std::vector<RequestImage> images;
  int32_t image_token_id = 0;
  std::optional<multimodal::MropePositions> mrope;
  double image_preprocess_seconds = 0;
  double vision_encode_seconds = 0;
  int encoder_cache_hits = 0;

  // When set, the logits of every prompt position are kept in prompt_logits
  // ([prompt_len, vocab]); the prompt is then computed in full (no cached prefix).
  bool want_prompt_logits = false;
  std::vector<float> prompt_logits;

  // When logprob.return_logprob: prompt positions [max(logprob_start_len, 0), prompt
  // length) (when logprob_start_len >= 0), and one entry per output token.
  std::vector<PositionLogprobs> input_logprobs;
  std::vector<PositionLogprobs> output_logprobs;

  int64_t prompt_len() const { return static_cast<int64_t>(input_ids.size()); }
  // The next prompt position whose logprob is still to be computed; prompt_len() when
  // none is. Its logits row is the previous position's, so tokens from there on must be
  // computed rather than taken from the prefix cache.
  int64_t NextInputLogprobPosition() const {
    if (!logprob.return_logprob || logprob.logprob_start_len < 0) return prompt_len();
    return std::min(logprob.logprob_start_len, prompt_len()) + static_cast<int64_t>(input_logprobs.size());
  }
  int64_t num_tokens() const { return static_cast<int64_t>(input_ids.size() + output_ids.size()); }
  int64_t num_computed() const { return static_cast<int64_t>(slots.size()); }
  int32_t TokenAt(int64_t i) const {
    const int64_t n = static_cast<int64_t>(input_ids.size());
    return i < n ? input_ids[i] : output_ids[i - n];
  }
  std::vector<int32_t> Tokens(int64_t begin, int64_t end) const {
    std::vector<int32_t> t;
    for (int64_t i = begin; i < end; ++i) t.push_back(TokenAt(i));
    return t;
  }
  // The token the model embeds at position i: TokenAt(i), or image_token_id for an
  // image's pad id.
  int32_t ModelTokenAt(int64_t i) const {
    for (const RequestImage& image : images)
      if (image.Overlaps(i, i + 1)) return image_token_id;
    return TokenAt(i);
  }
};

}  // namespace sgl
