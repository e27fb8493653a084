// ApplyLogitsProcessing: the per-request changes to one row of logits before sampling, as
// SGLang applies them: logit_bias; repetition penalty over prompt and output tokens;
// frequency and presence penalties over output tokens; and, until min_new_tokens tokens
// are out, EOS and stop tokens made impossible. Touches only its arguments (the request's
// PenaltyTokens among them), so requests may be processed on different threads.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/row_sampling.h"
#include "runtime/penalty_tokens.h"
#include "sgl/sampling_params.h"

namespace sgl {

// The same changes as sparse per-column edits (row_sampling.h), one per changed column
// in column order, appended to `edits`: what a backend applies when it draws the token.
// `penalty_tokens` is the request's own, brought up to `prompt` and `output` here when a
// penalty needs it, so a step costs its new tokens plus the edits, not a prompt walk.
void AppendLogitEdits(const SamplingParams& params, std::span<const int32_t> prompt, std::span<const int32_t> output,
                      std::span<const int32_t> eos_ids, int64_t vocab, PenaltyTokens& penalty_tokens,
                      std::vector<LogitEdit>* edits);

// `prompt` and `output` are the request's tokens so far; `eos_ids` the model's EOS ids.
void ApplyLogitsProcessing(std::span<float> logits, const SamplingParams& params, std::span<const int32_t> prompt,
                           std::span<const int32_t> output, std::span<const int32_t> eos_ids,
                           PenaltyTokens& penalty_tokens);

}  // namespace sgl
