// Scheduler, after the forward pass: prompt logits and prompt logprobs from their rows,
// the computed prompt cached for others, and for each request whose last token was
// computed, the next token sampled, stop conditions checked and the result delivered.
#include <algorithm>

#include "runtime/grammar_step.h"
#include "runtime/logits_processor.h"
#include "runtime/logprobs.h"
#include "runtime/scheduler.h"
#include "runtime/scheduler_reasons.h"

namespace sgl {

void Scheduler::ProcessResults(const StepPlan& plan) {
  for (const Scheduled& sch : plan.scheduled) {
    Request& r = **sch.it;
    CollectPromptRows(r, sch);
    if (sch.begin < r.prompt_len()) CacheUnfinished(r);
    if (!sch.completes) continue;
    const size_t row = sch.first_row + static_cast<size_t>(sch.num_rows) - 1;
    SampleNext(sch.it, row, plan.batch.WantsHostLogits(static_cast<int64_t>(row)));
  }
}

void Scheduler::CollectPromptRows(Request& r, const Scheduled& sch) {
  const size_t vocab = static_cast<size_t>(model_.config().vocab_size);
  for (int64_t i = 0; i < sch.num_rows; ++i) {
    const int64_t position = sch.row_begin + i;
    if (position >= r.prompt_len()) break;
    std::span<const float> row(output_.logits.data() + (sch.first_row + i) * vocab, vocab);
    if (r.want_prompt_logits) r.prompt_logits.insert(r.prompt_logits.end(), row.begin(), row.end());
    // Row `position` predicts prompt token position + 1.
    if (position + 1 < r.prompt_len() && position + 1 == r.NextInputLogprobPosition())
      r.input_logprobs.push_back(PickLogprobs(LogSoftmax(row, 1.0f), r.input_ids[position + 1], r.logprob));
  }
}

void Scheduler::SampleNext(RunningIt it, size_t row, bool logits_on_host) {
  Request& r = **it;
  if (static_cast<int64_t>(r.output_ids.size()) >= r.params.max_new_tokens) {
    Finish(it, LengthReached(r.params.max_new_tokens));  // max_new_tokens == 0: the prompt only
    return;
  }
  int32_t token = output_.argmax[row];
  std::vector<float> logprobs;
  if (logits_on_host) {
    const size_t vocab = static_cast<size_t>(model_.config().vocab_size);
    std::optional<int32_t> sampled = SampleOnHost(it, {output_.logits.data() + row * vocab, vocab}, &logprobs);
    if (!sampled) return;
    token = *sampled;
  }
  r.output_ids.push_back(token);
  if (r.logprob.return_logprob) r.output_logprobs.push_back(PickLogprobs(logprobs, token, r.logprob));

  // A terminated grammar (it accepted a stop token) ends the request as that token would.
  const bool stop_token = ShouldStop(r, token) || (r.grammar && r.grammar->IsTerminated());
  const bool may_stop = static_cast<int64_t>(r.output_ids.size()) > r.params.min_new_tokens;
  std::optional<std::string> stop_string;
  // A stop token's text is left out of the output text unless no_stop_trim (as SGLang).
  if (r.output_text && (!stop_token || r.params.no_stop_trim))
    stop_string = r.output_text->Append(token, may_stop && !stop_token);
  const bool length = static_cast<int64_t>(r.output_ids.size()) >= r.params.max_new_tokens ||
                      r.num_tokens() >= allocator_.capacity_slots();
  if (!stop_token && !stop_string && !length) {
    if (r.on_update) r.on_update(r, token, false);
    return;
  }
  std::shared_ptr<Request> req = *it;
  running_.erase(it);
  Release(*req);
  FinishReason reason = stop_token    ? StoppedByToken(token)
                        : stop_string ? StoppedByString(std::move(*stop_string))
                                      : LengthReached(static_cast<int64_t>(req->output_ids.size()));
  Deliver(req, std::move(reason), token);
}

std::optional<int32_t> Scheduler::SampleOnHost(RunningIt it, std::span<float> logits, std::vector<float>* logprobs) {
  Request& r = **it;
  ApplyLogitsProcessing(logits, r.params, r.input_ids, r.output_ids, model_.config().eos_token_ids);
  if (r.grammar && !MaskByGrammar(it, logits)) return std::nullopt;
  if (r.logprob.return_logprob) *logprobs = LogSoftmax(logits, r.params.IsGreedy() ? 1.0f : r.params.temperature);
  const int32_t token = r.sampler->Sample(logits, r.params);
  if (r.grammar && !AcceptGrammarToken(*r.grammar, r.params.stop_token_ids, token)) {
    Finish(it, Aborted(fmt::format("the grammar refused the sampled token {}", token)));  // a bug, not bad input
    return std::nullopt;
  }
  return token;
}

bool Scheduler::MaskByGrammar(RunningIt it, std::span<float> logits) {
  Request& r = **it;
  if (MaskLogitsByGrammar(*r.grammar, r.params.stop_token_ids, logits, grammar_bitmask_)) return true;
  // Only a stop token could come, and min_new_tokens forbids it.
  Finish(it, Aborted("the grammar allows no next token (it can only end, and min_new_tokens forbids that)"));
  return false;
}

}  // namespace sgl
