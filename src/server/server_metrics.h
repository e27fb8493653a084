// ServerMetrics: the Prometheus metrics `sgl serve --enable-metrics` exposes on /metrics,
// with SGLang's names and label (model_name): request and token counters, TTFT /
// inter-token / end-to-end latency histograms, and gauges of the scheduler's state
// (running and queued requests, KV token usage, cache hit rate) read at scrape time.
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "sgl/engine.h"

namespace sgl::server {

class ServerMetrics {
 public:
  explicit ServerMetrics(const std::string& model_name);

  void ObserveTimeToFirstToken(double seconds) { ttft_->Observe(seconds); }
  void ObserveInterTokenLatency(double seconds) {
    itl_->Observe(seconds);
    tpot_->Observe(seconds);
  }
  void OnRequestFinished(int64_t prompt_tokens, int64_t completion_tokens, int64_t cached_tokens, double e2e_seconds);

  // The text exposition format, with gauges refreshed from `stats`.
  std::string Render(const EngineStats& stats);

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Counter* prompt_tokens_;
  prometheus::Counter* generation_tokens_;
  prometheus::Counter* cached_tokens_;
  prometheus::Counter* requests_;
  prometheus::Histogram* ttft_;
  prometheus::Histogram* itl_;
  prometheus::Histogram* tpot_;
  prometheus::Histogram* e2e_;
  prometheus::Gauge* running_;
  prometheus::Gauge* queued_;
  prometheus::Gauge* used_tokens_;
  prometheus::Gauge* token_usage_;
  prometheus::Gauge* cache_hit_rate_;
  prometheus::Gauge* max_total_tokens_;
};

}  // namespace sgl::server
