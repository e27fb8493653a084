// Scheduler, after the forward pass: prompt logits and prompt logprobs from their rows,
// and for each request whose last token was computed, the next token sampled, stop
// conditions checked and the result delivered.
#include <algorithm>
#include <cmath>

#include "backend/late_token_masks.h"
#include "runtime/grammar_step.h"
#include "runtime/logits_processor.h"
#include "runtime/logprobs.h"
#include "runtime/scheduler.h"
#include "runtime/scheduler_reasons.h"

namespace sgl {
namespace {

// Nothing is left when the grammar can only end and min_new_tokens has masked the stop
// tokens, or logit_bias every token the grammar allows (a budgeted mask yields first).
constexpr const char* kNothingAllowed =
    "the grammar allows no next token (it can only end, and min_new_tokens forbids that; or logit_bias bans "
    "every token it allows)";

}  // namespace

void Scheduler::PlanGrammarMasks(StepPlan& plan) {
  ForwardBatch& batch = plan.batch;
  bool constrained = false;
  int32_t num_words = 0;
  for (const Scheduled& sch : plan.scheduled) {
    const Request& r = *sch.req;
    if (!sch.completes || !r.grammar || r.finished) continue;
    constrained = true;
    const size_t row = sch.first_row + static_cast<size_t>(sch.num_rows) - 1;
    if (batch.WantsHostLogits(static_cast<int64_t>(row))) continue;
    RowSampling& s = batch.sampling[row];
    s.mask_begin = num_words;
    s.mask_words = static_cast<int32_t>(r.grammar->grammar().bitmask_words());
    num_words += s.mask_words;
  }
  if (!constrained) return;
  batch.late_token_masks = std::make_shared<LateTokenMasks>(
      static_cast<size_t>(num_words), [this, &plan](std::span<uint32_t> words) { FillGrammarMasks(plan, words); });
}

void Scheduler::FillGrammarMasks(const StepPlan& plan, std::span<uint32_t> words) {
  mask_jobs_.clear();
  for (const Scheduled& sch : plan.scheduled) {
    Request& r = *sch.req;
    if (!sch.completes || !r.grammar || r.finished) continue;
    const int64_t without_stop = r.params.min_new_tokens - static_cast<int64_t>(r.output_ids.size());
    mask_jobs_.push_back({r.grammar.get(), r.params.stop_token_ids, &r.grammar_bitmask, &r.grammar_mask_any,
                          GrammarBudget(r), std::max<int64_t>(0, without_stop)});
  }
  mask_pool_.Run(mask_jobs_);
  const ForwardBatch& batch = plan.batch;
  for (const Scheduled& sch : plan.scheduled) {
    Request& r = *sch.req;
    const size_t row = sch.first_row + static_cast<size_t>(sch.num_rows) - 1;
    if (!sch.completes || !r.grammar || r.finished || batch.WantsHostLogits(static_cast<int64_t>(row))) continue;
    const RowSampling& s = batch.sampling[row];
    const std::span<const LogitEdit> edits(batch.logit_edits.data() + s.edit_begin, batch.logit_edits.data() + s.edit_end);
    r.grammar_mask_any = YieldBudgetUnlessSomeSurvives(
        *r.grammar, r.params.stop_token_ids, r.grammar_bitmask, GrammarBudget(r).has_value(),
        [&](std::span<const uint32_t> mask) { return SomeAllowedTokenSurvives(mask, edits); });
    std::copy(r.grammar_bitmask.begin(), r.grammar_bitmask.end(), words.begin() + s.mask_begin);
  }
}

void Scheduler::ProcessResults(StepPlan& plan) {
  for (const Scheduled& sch : plan.scheduled) {
    Request& r = *sch.req;
    if (r.finished) continue;  // aborted, or stopped by the step before (overlap)
    CollectPromptRows(r, sch, *plan.output);
    if (!sch.completes) continue;
    const size_t row = sch.first_row + static_cast<size_t>(sch.num_rows) - 1;
    SampleNext(sch.it, *plan.output, row, plan.batch.WantsHostLogits(static_cast<int64_t>(row)));
  }
}

void Scheduler::CollectPromptRows(Request& r, const Scheduled& sch, const ForwardOutput& output) {
  const size_t vocab = static_cast<size_t>(model_.config().vocab_size);
  for (int64_t i = 0; i < sch.num_rows; ++i) {
    const int64_t position = sch.row_begin + i;
    if (position >= r.prompt_len()) break;
    std::span<const float> row(output.logits.data() + (sch.first_row + i) * vocab, vocab);
    if (r.want_prompt_logits) r.prompt_logits.insert(r.prompt_logits.end(), row.begin(), row.end());
    // Row `position` predicts prompt token position + 1.
    if (position + 1 < r.prompt_len() && position + 1 == r.NextInputLogprobPosition())
      r.input_logprobs.push_back(PickLogprobs(LogSoftmax(row, 1.0f), r.ModelTokenAt(position + 1), r.logprob));
  }
}

void Scheduler::SampleNext(RunningIt it, ForwardOutput& output, size_t row, bool logits_on_host) {
  Request& r = **it;
  if (static_cast<int64_t>(r.output_ids.size()) >= r.params.max_new_tokens) {
    Finish(it, LengthReached(r.params.max_new_tokens));  // max_new_tokens == 0: the prompt only
    return;
  }
  int32_t token = output.tokens[row];
  std::vector<float> logprobs;
  if (logits_on_host) {
    const size_t vocab = static_cast<size_t>(model_.config().vocab_size);
    std::optional<int32_t> sampled = SampleOnHost(it, {output.logits.data() + row * vocab, vocab}, &logprobs);
    if (!sampled) return;
    token = *sampled;
  } else if (r.grammar && !AcceptDeviceToken(it, token)) {
    return;
  }
  ++r.sampling_steps;
  // Logprob requests report what the model chose, token by token.
  if (!jump_forward_ || !r.grammar || r.logprob.return_logprob) {
    (void)AppendToken(it, token, logprobs);
    return;
  }
  const std::vector<int32_t> tokens = JumpForwardFrom(r, token);
  r.jump_forward_tokens += static_cast<int64_t>(tokens.size()) - 1;
  // Each token is delivered as if sampled; the rest of a jump is dropped when one ends
  // the request (then the grammar may be ahead of the output, which no longer matters).
  for (int32_t t : tokens)
    if (!AppendToken(it, t, logprobs)) return;
}

int64_t Scheduler::OutputRoom(const Request& r) const {
  return std::min(r.params.max_new_tokens - static_cast<int64_t>(r.output_ids.size()),
                  allocator_.capacity_slots() - r.num_tokens());
}

std::optional<int64_t> Scheduler::GrammarBudget(const Request& r) const {
  if (options_.disable_grammar_budget) return std::nullopt;
  return OutputRoom(r);
}

std::vector<int32_t> Scheduler::JumpForwardFrom(Request& r, int32_t token) const {
  const int64_t room = OutputRoom(r);
  // A budgeted request keeps room to end its grammar and then stop, as its mask did: a
  // jump that retokenized into too many tokens is taken back to the sampled token alone.
  // One whose budget was already too short jumps as it would unbudgeted.
  const bool keep_budget = GrammarBudget(r) && r.grammar->MinBytesToEnd() + 1 <= room - 1;
  std::vector<int32_t> tokens = jump_forward_->Extend(*r.grammar, token, room);
  const int64_t room_after = room - static_cast<int64_t>(tokens.size());
  if (keep_budget && tokens.size() > 1 && r.grammar->MinBytesToEnd() + 1 > room_after) {
    (void)r.grammar->Rollback(static_cast<int32_t>(tokens.size()));
    (void)r.grammar->AcceptToken(token);  // accepted from this very state before
    tokens = {token};
  }
  return tokens;
}

bool Scheduler::AppendToken(RunningIt it, int32_t token, const std::vector<float>& logprobs) {
  std::optional<FinishReason> reason = RecordToken(**it, token, logprobs);
  if (!reason) return true;
  std::shared_ptr<Request> req = *it;
  running_.erase(it);
  Release(*req);
  Deliver(req, std::move(*reason), token);
  return false;
}

std::optional<FinishReason> Scheduler::RecordToken(Request& r, int32_t token, const std::vector<float>& logprobs) {
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
    return std::nullopt;
  }
  return stop_token    ? StoppedByToken(token)
         : stop_string ? StoppedByString(std::move(*stop_string))
                       : LengthReached(static_cast<int64_t>(r.output_ids.size()));
}

bool Scheduler::JumpForwardAtStart(const std::shared_ptr<Request>& req) {
  Request& r = *req;
  if (!jump_forward_ || !r.grammar || r.logprob.return_logprob || !r.output_ids.empty()) return true;
  for (int32_t token : jump_forward_->AtStart(*r.grammar, OutputRoom(r))) {
    ++r.jump_forward_tokens;
    if (std::optional<FinishReason> reason = RecordToken(r, token, {})) {
      Deliver(req, std::move(*reason), token);
      return false;
    }
  }
  return true;
}

std::optional<int32_t> Scheduler::SampleOnHost(RunningIt it, std::span<float> logits, std::vector<float>* logprobs) {
  Request& r = **it;
  ApplyLogitsProcessing(logits, r.params, r.input_ids, r.output_ids, model_.config().eos_token_ids, r.penalty_tokens);
  if (r.grammar && !MaskByGrammar(it, logits)) return std::nullopt;
  if (r.logprob.return_logprob) *logprobs = LogSoftmax(logits, r.params.IsGreedy() ? 1.0f : r.params.temperature);
  const int32_t token = r.sampler->Sample(logits, r.params);
  if (r.grammar && !FeedGrammar(it, token)) return std::nullopt;
  return token;
}

bool Scheduler::MaskByGrammar(RunningIt it, std::span<float> logits) {
  Request& r = **it;
  // FillGrammarMasks filled it during the forward pass: every sampled row completes its request.
  // Some token survives iff it is allowed and its processed logit finite, which is what
  // the masked logits keep finite.
  const bool any_survives =
      r.grammar_mask_any &&
      YieldBudgetUnlessSomeSurvives(*r.grammar, r.params.stop_token_ids, r.grammar_bitmask, GrammarBudget(r).has_value(),
                                    [&](std::span<const uint32_t> mask) {
                                      for (size_t i = 0; i < logits.size() && i / 32 < mask.size(); ++i)
                                        if (((mask[i / 32] >> (i % 32)) & 1u) && std::isfinite(logits[i])) return true;
                                      return false;
                                    });
  constrain::ApplyTokenBitmask(logits, r.grammar_bitmask);
  if (any_survives) return true;
  FailGrammar(it, kNothingAllowed);
  return false;
}

bool Scheduler::AcceptDeviceToken(RunningIt it, int32_t token) {
  if ((*it)->grammar_mask_any) return FeedGrammar(it, token);
  FailGrammar(it, kNothingAllowed);
  return false;
}

bool Scheduler::FeedGrammar(RunningIt it, int32_t token) {
  Request& r = **it;
  if (AcceptGrammarToken(*r.grammar, r.params.stop_token_ids, token)) return true;
  FailGrammar(it, fmt::format("the grammar refused the sampled token {}", token));  // a bug, not bad input
  return false;
}

void Scheduler::FailGrammar(RunningIt it, std::string message) {
  (*it)->grammar_error = message;
  Finish(it, Aborted(std::move(message)));
}

}  // namespace sgl
