// Log-probabilities at one position, as SGLang reports them (LogprobOptions): of a given
// token, of the top_logprobs_num most likely tokens (best first, ties by lower id), and of
// token_ids_logprob in the order asked. Pure functions; thread-safe.
//
// Which logits: for output tokens, SGLang's default (SGLANG_RETURN_ORIGINAL_LOGPROB off)
// takes the logits the sampler sees, i.e. after logit_bias, penalties and the
// min_new_tokens mask, divided by the temperature (1 for greedy requests); for prompt
// tokens, the model's raw logits. -inf becomes the lowest float, as SGLang clamps it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "sgl/engine.h"

namespace sgl {

// log_softmax(logits / temperature). REQUIRES: logits non-empty, temperature > 0.
std::vector<float> LogSoftmax(std::span<const float> logits, float temperature);

// The logprobs at one position from that position's log_softmax row. Ids outside the
// row get NaN (callers validate them first).
PositionLogprobs PickLogprobs(std::span<const float> logprobs, int32_t token, const LogprobOptions& options);

// The first prompt position: nothing predicts it, so its logprob is NaN (JSON null).
PositionLogprobs UndefinedLogprobs(int32_t token);

}  // namespace sgl
