// ApplyLogitsProcessing: the per-request changes to one row of logits before sampling, as
// SGLang applies them: logit_bias; repetition penalty over prompt and output tokens;
// frequency and presence penalties over output tokens; and, until min_new_tokens tokens
// are out, EOS and stop tokens made impossible. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/row_sampling.h"
#include "sgl/sampling_params.h"

namespace sgl {

// The same changes as sparse per-column edits (row_sampling.h), one per changed column
// in column order, appended to `edits`: what a backend applies when it draws the token.
void AppendLogitEdits(const SamplingParams& params, std::span<const int32_t> prompt, std::span<const int32_t> output,
                      std::span<const int32_t> eos_ids, int64_t vocab, std::vector<LogitEdit>* edits);

// `prompt` and `output` are the request's tokens so far; `eos_ids` the model's EOS ids.
void ApplyLogitsProcessing(std::span<float> logits, const SamplingParams& params, std::span<const int32_t> prompt,
                           std::span<const int32_t> output, std::span<const int32_t> eos_ids);

}  // namespace sgl
