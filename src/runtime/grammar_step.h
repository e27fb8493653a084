// The grammar's part of one decoding step of a constrained request: which grammar a
// request's SamplingParams ask for, the mask applied to its logits before sampling (as
// SGLang applies its vocab mask: after penalties, before the logprobs and the sampler),
// and the sampled token fed back to the matcher. Not thread-safe: the matcher is the
// request's (scheduler thread).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "backend/row_sampling.h"
#include "constrain/grammar_compiler.h"
#include "constrain/grammar_matcher.h"
#include "sgl/engine.h"
#include "sgl/sampling_params.h"

namespace sgl {

// The grammar `params` ask for, if any. REQUIRES: at most one of regex / json_schema / ebnf.
std::optional<constrain::GrammarSpec> GrammarSpecFor(const SamplingParams& params);

// Sets bit i of `bitmask` (resized to the grammar's words) iff `matcher` allows token i
// next; its stop tokens, and `extra_stop_ids` (the request's stop_token_ids), only where
// the grammar can end. With `num_remaining_tokens` (the request's output tokens left, this
// one included), the mask is budgeted (GrammarMatcher::FillBudgetedTokenBitmask), knowing
// that min_new_tokens forbids a stop for the next `num_without_stop` tokens. Returns
// false when no token is allowed. Touches only the matcher and `bitmask`, so masks of
// several requests may be filled on several threads.
bool FillGrammarBitmask(constrain::GrammarMatcher& matcher, std::span<const int32_t> extra_stop_ids,
                        std::vector<uint32_t>& bitmask, std::optional<int64_t> num_remaining_tokens = std::nullopt,
                        int64_t num_without_stop = 0);

// Whether some token `bitmask` allows survives a row's logits processing `edits`
// (row_sampling.h; distinct columns): one that no edit forbids or biases to -infinity.
bool SomeAllowedTokenSurvives(std::span<const uint32_t> bitmask, std::span<const LogitEdit> edits);

// Where a budgeted mask (`budgeted`) leaves no token that the row's own logits processing
// lets through (`survives` says whether a mask does: say, a logit_bias of -infinity on the
// one-byte token the budget counted on), the budget yields and `bitmask` is refilled
// unbudgeted, so the budget never turns a request that has a way on into an error; it
// may then run to its length limit, reported as where the grammar stopped. Returns
// whether some allowed token survives now.
bool YieldBudgetUnlessSomeSurvives(constrain::GrammarMatcher& matcher, std::span<const int32_t> extra_stop_ids,
                                   std::vector<uint32_t>& bitmask, bool budgeted,
                                   const std::function<bool(std::span<const uint32_t>)>& survives);

// Sets to -infinity the logits of every token `matcher` does not allow next
// (FillGrammarBitmask, then the mask applied). `bitmask` is scratch. Returns false when no
// token is allowed.
bool MaskLogitsByGrammar(constrain::GrammarMatcher& matcher, std::span<const int32_t> extra_stop_ids,
                         std::span<float> logits, std::vector<uint32_t>& bitmask);

// Advances `matcher` by the sampled `token`. A stop token (the vocabulary's or one of
// `extra_stop_ids`) where the grammar can end terminates it. Returns false (matcher
// unchanged) when the grammar refuses the token.
[[nodiscard]] bool AcceptGrammarToken(constrain::GrammarMatcher& matcher, std::span<const int32_t> extra_stop_ids,
                                      int32_t token);

// Where the grammar stopped a finished constrained request that ended badly: `error` when
// the grammar failed mid-generation, otherwise when it ended with `matcher` not in an
// accepting state; none when it ended well. `num_output_tokens`: its output so far.
std::optional<GrammarStop> WhereGrammarStopped(const constrain::GrammarMatcher& matcher, int64_t num_output_tokens,
                                               const std::optional<std::string>& error);

}  // namespace sgl
