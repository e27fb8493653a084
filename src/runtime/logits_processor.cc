#include "runtime/logits_processor.h"

#include <algorithm>
#include <limits>

namespace sgl {
namespace {

// The ids min_new_tokens forbids for now, sorted and distinct (few: EOS and stop ids).
std::vector<int32_t> ForbiddenIds(const SamplingParams& p, size_t num_output_tokens, std::span<const int32_t> eos_ids) {
  std::vector<int32_t> ids;
  if (static_cast<int64_t>(num_output_tokens) >= p.min_new_tokens) return ids;
  ids.assign(eos_ids.begin(), eos_ids.end());
  ids.insert(ids.end(), p.stop_token_ids.begin(), p.stop_token_ids.end());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

}  // namespace

void AppendLogitEdits(const SamplingParams& p, std::span<const int32_t> prompt, std::span<const int32_t> output,
                      std::span<const int32_t> eos_ids, int64_t vocab, PenaltyTokens& penalty_tokens,
                      std::vector<LogitEdit>* edits) {
  const bool repetition = p.repetition_penalty != 1.0f;
  const bool counted = p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f;
  if (repetition || counted) penalty_tokens.Update(prompt, output);
  const std::span<const int32_t> seen = repetition ? penalty_tokens.seen() : std::span<const int32_t>();
  const std::span<const PenaltyTokens::Count> counts =
      counted ? penalty_tokens.output_counts() : std::span<const PenaltyTokens::Count>();
  const std::vector<int32_t> forbidden = ForbiddenIds(p, output.size(), eos_ids);
  // Four sorted sources merged by column; each column present in any of them is one edit.
  auto bias = p.logit_bias.begin();
  size_t s = 0, c = 0, f = 0;
  constexpr int64_t kNone = std::numeric_limits<int64_t>::max();
  for (;;) {
    int64_t column = kNone;
    if (bias != p.logit_bias.end()) column = std::min<int64_t>(column, bias->first);
    if (s < seen.size()) column = std::min<int64_t>(column, seen[s]);
    if (c < counts.size()) column = std::min<int64_t>(column, counts[c].token);
    if (f < forbidden.size()) column = std::min<int64_t>(column, forbidden[f]);
    if (column == kNone) break;
    LogitEdit e;
    e.column = static_cast<int32_t>(column);
    if (bias != p.logit_bias.end() && bias->first == column) e.bias += (bias++)->second;
    if (s < seen.size() && seen[s] == column) e.repetition = p.repetition_penalty, ++s;
    if (c < counts.size() && counts[c].token == column)
      e.penalty = p.frequency_penalty * static_cast<float>(counts[c++].count) + p.presence_penalty;
    if (f < forbidden.size() && forbidden[f] == column) e.forbid = 1, ++f;
    if (column >= 0 && column < vocab) edits->push_back(e);
  }
}

void ApplyLogitsProcessing(std::span<float> logits, const SamplingParams& p, std::span<const int32_t> prompt,
                           std::span<const int32_t> output, std::span<const int32_t> eos_ids,
                           PenaltyTokens& penalty_tokens) {
  std::vector<LogitEdit> edits;
  AppendLogitEdits(p, prompt, output, eos_ids, static_cast<int64_t>(logits.size()), penalty_tokens, &edits);
  for (const LogitEdit& e : edits) logits[e.column] = EditLogit(logits[e.column], e);
}

}  // namespace sgl
