#include "runtime/grammar_step.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sgl {
namespace {

bool Contains(std::span<const int32_t> ids, int32_t id) { return std::find(ids.begin(), ids.end(), id) != ids.end(); }

}  // namespace

std::optional<constrain::GrammarSpec> GrammarSpecFor(const SamplingParams& params) {
  using constrain::GrammarKind;
  if (params.regex) return constrain::GrammarSpec{GrammarKind::kRegex, *params.regex, {}};
  if (params.json_schema) return constrain::GrammarSpec{GrammarKind::kJsonSchema, *params.json_schema, {}};
  if (params.ebnf) return constrain::GrammarSpec{GrammarKind::kEbnf, *params.ebnf, {}};
  return std::nullopt;
}

bool FillGrammarBitmask(constrain::GrammarMatcher& matcher, std::span<const int32_t> extra_stop_ids,
                        std::vector<uint32_t>& bitmask, std::optional<int64_t> num_remaining_tokens,
                        int64_t num_without_stop) {
  bitmask.resize(static_cast<size_t>(matcher.grammar().bitmask_words()));  // no allocation once sized
  if (num_remaining_tokens) {
    matcher.FillBudgetedTokenBitmask(bitmask, *num_remaining_tokens, num_without_stop);
  } else {
    matcher.FillNextTokenBitmask(bitmask);
  }
  const int64_t vocab = matcher.grammar().vocab().vocab_size();
  if (matcher.CanEnd())
    for (int32_t id : extra_stop_ids)
      if (id >= 0 && id < vocab) bitmask[id / 32] |= 1u << (id % 32);
  return std::any_of(bitmask.begin(), bitmask.end(), [](uint32_t word) { return word != 0; });
}

bool SomeAllowedTokenSurvives(std::span<const uint32_t> bitmask, std::span<const LogitEdit> edits) {
  int64_t allowed = 0;
  for (uint32_t word : bitmask) allowed += std::popcount(word);
  for (const LogitEdit& e : edits) {
    const bool kills = e.forbid || e.bias == -INFINITY;
    const int64_t c = e.column;
    if (kills && c >= 0 && c < static_cast<int64_t>(bitmask.size()) * 32 && ((bitmask[c / 32] >> (c % 32)) & 1u)) --allowed;
  }
  return allowed > 0;
}

bool YieldBudgetUnlessSomeSurvives(constrain::GrammarMatcher& matcher, std::span<const int32_t> extra_stop_ids,
                                   std::vector<uint32_t>& bitmask, bool budgeted,
                                   const std::function<bool(std::span<const uint32_t>)>& survives) {
  if (survives(bitmask)) return true;
  return budgeted && FillGrammarBitmask(matcher, extra_stop_ids, bitmask) && survives(bitmask);
}

bool MaskLogitsByGrammar(constrain::GrammarMatcher& matcher, std::span<const int32_t> extra_stop_ids,
                         std::span<float> logits, std::vector<uint32_t>& bitmask) {
  const bool any = FillGrammarBitmask(matcher, extra_stop_ids, bitmask);
  constrain::ApplyTokenBitmask(logits, bitmask);
  return any;
}

bool AcceptGrammarToken(constrain::GrammarMatcher& matcher, std::span<const int32_t> extra_stop_ids, int32_t token) {
  if (matcher.AcceptToken(token)) return true;
  // A request's own stop token is not in the vocabulary's stop list: it ends the grammar
  // as EOS would (the mask offered it only where the grammar can end).
  if (!Contains(extra_stop_ids, token) || !matcher.CanEnd()) return false;
  std::span<const int32_t> stops = matcher.grammar().vocab().stop_ids();
  if (!stops.empty()) (void)matcher.AcceptToken(stops.front());
  return true;
}

std::optional<GrammarStop> WhereGrammarStopped(const constrain::GrammarMatcher& matcher, int64_t num_output_tokens,
                                               const std::optional<std::string>& error) {
  if (error) return GrammarStop{num_output_tokens, *error};
  if (matcher.IsTerminated() || matcher.CanEnd()) return std::nullopt;
  return GrammarStop{num_output_tokens, "incomplete"};
}

}  // namespace sgl
