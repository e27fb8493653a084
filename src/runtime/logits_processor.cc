#include "runtime/logits_processor.h"

#include <map>

namespace sgl {

void AppendLogitEdits(const SamplingParams& p, std::span<const int32_t> prompt, std::span<const int32_t> output,
                      std::span<const int32_t> eos_ids, int64_t vocab, std::vector<LogitEdit>* edits) {
  std::map<int32_t, LogitEdit> by_column;  // ordered: the edits come out by column
  auto valid = [&](int32_t t) { return t >= 0 && t < vocab; };
  auto edit = [&](int32_t t) -> LogitEdit& {
    LogitEdit& e = by_column[t];
    e.column = t;
    return e;
  };
  for (const auto& [token, bias] : p.logit_bias)
    if (valid(token)) edit(token).bias += bias;
  if (p.repetition_penalty != 1.0f) {
    for (auto tokens : {prompt, output})
      for (int32_t t : tokens)
        if (valid(t)) edit(t).repetition = p.repetition_penalty;
  }
  if (p.frequency_penalty != 0.0f || p.presence_penalty != 0.0f) {
    std::map<int32_t, int> counts;
    for (int32_t t : output)
      if (valid(t)) ++counts[t];
    for (const auto& [t, n] : counts) edit(t).penalty = p.frequency_penalty * static_cast<float>(n) + p.presence_penalty;
  }
  if (static_cast<int64_t>(output.size()) < p.min_new_tokens) {
    for (auto tokens : {eos_ids, std::span<const int32_t>(p.stop_token_ids)})
      for (int32_t t : tokens)
        if (valid(t)) edit(t).forbid = 1;
  }
  for (const auto& [t, e] : by_column) edits->push_back(e);
}

void ApplyLogitsProcessing(std::span<float> logits, const SamplingParams& p, std::span<const int32_t> prompt,
                           std::span<const int32_t> output, std::span<const int32_t> eos_ids) {
  std::vector<LogitEdit> edits;
  AppendLogitEdits(p, prompt, output, eos_ids, static_cast<int64_t>(logits.size()), &edits);
  for (const LogitEdit& e : edits) logits[e.column] = EditLogit(logits[e.column], e);
}

}  // namespace sgl
