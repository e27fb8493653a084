#include "server/generation_group.h"

namespace sgl::server {

bool LiveRequests::Add(const std::string& rid, uint64_t engine_id) {
  std::lock_guard<std::mutex> lock(mu_);
  return ids_.emplace(rid, engine_id).second;
}

void LiveRequests::Remove(const std::string& rid) {
  std::lock_guard<std::mutex> lock(mu_);
  ids_.erase(rid);
}

std::optional<uint64_t> LiveRequests::Find(const std::string& rid) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = ids_.find(rid);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

std::vector<uint64_t> LiveRequests::All() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<uint64_t> out;
  for (const auto& [rid, id] : ids_) out.push_back(id);
  return out;
}

namespace {

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Shared by the engine's callbacks (scheduler thread) and the connection's strand.
struct Group : std::enable_shared_from_this<Group> {
  Group(const GenerationGroup::Context& c, std::shared_ptr<HttpExchange> x, std::vector<GenerationItem> i,
        GenerationGroup::Callbacks cb)
      : engine(c.engine), metrics(c.metrics), activity(c.activity), live(c.live), route(c.route),
        trace_log(c.trace_log), trace_text(c.trace_text), exchange(std::move(x)),
        items(std::move(i)), callbacks(std::move(cb)),
        timing(items.size()), engine_ids(items.size()), finished(items.size(), false) {}

  void Submit(size_t i) {
    auto self = shared_from_this();
    GenerationItem& item = items[i];
    item.submitted = Clock::now();
    timing[i].last = item.submitted;
    if (activity != nullptr) activity->Started(item.rid, route, static_cast<int64_t>(item.request.input_ids.size()));
    GenerateHandle handle = engine.Submit(
        item.request, [self, i](const GenerateDelta& d) { self->OnDelta(i, d); },
        [self, i](const Result<GenerateResult>& r) { self->OnDone(i, r); });
    std::lock_guard<std::mutex> lock(mu);
    engine_ids[i] = handle.id;
    if (!finished[i]) live.Add(items[i].rid, handle.id);
  }

  // Scheduler thread.
  void OnDelta(size_t i, const GenerateDelta& delta) {
    if (activity != nullptr && !delta.token_ids.empty()) activity->Generated(static_cast<int64_t>(delta.token_ids.size()));
    if (metrics != nullptr && !delta.token_ids.empty()) {
      const Clock::time_point now = Clock::now();
      if (!timing[i].any) metrics->ObserveTimeToFirstToken(Seconds(now - timing[i].last));
      else metrics->ObserveInterTokenLatency(Seconds(now - timing[i].last) / static_cast<double>(delta.token_ids.size()));
      timing[i].any = true;
      timing[i].last = now;
    }
    exchange->Post([self = shared_from_this(), i, delta] {
      GenerationItem& item = self->items[i];
      item.output_ids.insert(item.output_ids.end(), delta.token_ids.begin(), delta.token_ids.end());
      item.text += delta.text;
      item.streamed_bytes += delta.text.size();
      item.output_logprobs.insert(item.output_logprobs.end(), delta.output_logprobs.begin(), delta.output_logprobs.end());
      if (!delta.input_logprobs.empty()) item.input_logprobs = delta.input_logprobs;
      if (self->callbacks.on_delta) self->callbacks.on_delta(item, delta);
    });
  }

  // Scheduler thread, or the submitting thread for a request refused at once.
  void OnDone(size_t i, const Result<GenerateResult>& result) {
    if (trace_log != nullptr) Trace(items[i], result);
    if (activity != nullptr)
      activity->Finished(items[i].rid, result.ok() ? result->finish_reason.TypeName() : "error",
                         result.ok() ? result->stats.cached_tokens : 0, result.ok() ? result->stats.completion_tokens : 0);
    if (metrics != nullptr && result.ok())
      metrics->OnRequestFinished(result->stats.prompt_tokens, result->stats.completion_tokens,
                                 result->stats.cached_tokens, Seconds(Clock::now() - items[i].submitted));
    {
      std::lock_guard<std::mutex> lock(mu);
      finished[i] = true;
      live.Remove(items[i].rid);
    }
    exchange->Post([self = shared_from_this(), i, result] {
      GenerationItem& item = self->items[i];
      if (result.ok()) {  // the final word, whatever the deltas said
        item.output_ids = result->output_ids;
        item.text = result->text;
        item.input_logprobs = result->input_logprobs;
        item.output_logprobs = result->output_logprobs;
      }
      item.result = result;
      if (++self->num_done == self->items.size() && self->callbacks.on_done) self->callbacks.on_done(self->items);
    });
  }

  // One record with the timings of every stage of the item's life, written by the TraceLog's
  // thread (this is the scheduler's).
  void Trace(const GenerationItem& item, const Result<GenerateResult>& r) const {
    TraceRecord t;
    t.rid = item.rid;
    t.route = route;
    t.e2e_ms = Seconds(Clock::now() - item.submitted) * 1e3 + item.tokenize_seconds * 1e3;
    t.tokenize_ms = item.tokenize_seconds * 1e3;
    t.prompt_tokens = static_cast<int64_t>(item.request.input_ids.size());
    t.constrained = item.request.sampling.IsConstrained();
    if (!r.ok()) {
      t.error = r.status().message();
    } else {
      t.stats = r->stats;
      t.finish = r->finish_reason.TypeName();
      if (trace_text) {
        t.prompt_ids = item.request.input_ids;
        t.output_text = r->text;
      }
    }
    trace_log->Add(std::move(t));
  }

  void AbortAll() {
    std::lock_guard<std::mutex> lock(mu);
    for (size_t i = 0; i < items.size(); ++i)
      if (!finished[i]) engine.Abort(engine_ids[i]);
  }

  Engine& engine;
  ServerMetrics* metrics;
  ServerActivity* activity;
  LiveRequests& live;
  std::string route;
  TraceLog* trace_log;
  bool trace_text;
  std::shared_ptr<HttpExchange> exchange;
  std::vector<GenerationItem> items;  // the strand's (after Start)
  GenerationGroup::Callbacks callbacks;
  size_t num_done = 0;  // the strand's
  struct Timing {
    Clock::time_point last;
    bool any = false;
  };
  std::vector<Timing> timing;  // item i's: its engine callbacks' (one thread at a time)

  std::mutex mu;  // guards engine_ids, finished
  std::vector<uint64_t> engine_ids;
  std::vector<bool> finished;
};

}  // namespace

void GenerationGroup::Start(const Context& context, std::shared_ptr<HttpExchange> exchange,
                            std::vector<GenerationItem> items, Callbacks callbacks) {
  for (size_t i = 0; i < items.size(); ++i) items[i].index = i;
  auto group = std::make_shared<Group>(context, exchange, std::move(items), std::move(callbacks));
  exchange->OnDisconnect([weak = std::weak_ptr<Group>(group)] {
    if (auto g = weak.lock()) g->AbortAll();
  });
  for (size_t i = 0; i < group->items.size(); ++i) group->Submit(i);
}

}  // namespace sgl::server
