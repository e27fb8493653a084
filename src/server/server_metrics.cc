#include "server/server_metrics.h"

#include <sstream>

#include <prometheus/text_serializer.h>

namespace sgl::server {
namespace {

using prometheus::Histogram;

}  // namespace

ServerMetrics::ServerMetrics(const std::string& model_name) : registry_(std::make_shared<prometheus::Registry>()) {
  const prometheus::Labels labels = {{"model_name", model_name}};
  auto counter = [&](const char* name, const char* help) {
    return &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_).Add(labels);
  };
  auto gauge = [&](const char* name, const char* help) {
    return &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_).Add(labels);
  };
  auto histogram = [&](const char* name, const char* help, Histogram::BucketBoundaries buckets) {
    return &prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_).Add(labels, std::move(buckets));
  };
  prompt_tokens_ = counter("sglang:prompt_tokens_total", "Number of prefill tokens processed.");
  generation_tokens_ = counter("sglang:generation_tokens_total", "Number of generation tokens processed.");
  cached_tokens_ = counter("sglang:cached_tokens_total", "Number of cached prompt tokens.");
  requests_ = counter("sglang:num_requests_total", "Number of requests processed.");
  ttft_ = histogram("sglang:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
                    {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 15.0,
                     20.0, 25.0, 30.0});
  const Histogram::BucketBoundaries token_buckets = {0.002, 0.005, 0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.075,
                                                     0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5};
  itl_ = histogram("sglang:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", token_buckets);
  tpot_ = histogram("sglang:time_per_output_token_seconds", "Histogram of time per output token in seconds.", token_buckets);
  e2e_ = histogram("sglang:e2e_request_latency_seconds", "Histogram of End-to-end request latency in seconds",
                   {0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0});
  running_ = gauge("sglang:num_running_reqs", "The number of running requests");
  queued_ = gauge("sglang:num_queue_reqs", "The number of requests in the waiting queue");
  used_tokens_ = gauge("sglang:num_used_tokens", "The number of used tokens");
  token_usage_ = gauge("sglang:token_usage", "The token usage");
  cache_hit_rate_ = gauge("sglang:cache_hit_rate", "The cache hit rate");
  max_total_tokens_ = gauge("sglang:max_total_num_tokens", "Maximum total number of tokens");
}

void ServerMetrics::OnRequestFinished(int64_t prompt_tokens, int64_t completion_tokens, int64_t cached_tokens,
                                      double e2e_seconds) {
  requests_->Increment();
  prompt_tokens_->Increment(static_cast<double>(prompt_tokens));
  generation_tokens_->Increment(static_cast<double>(completion_tokens));
  cached_tokens_->Increment(static_cast<double>(cached_tokens));
  e2e_->Observe(e2e_seconds);
}

std::string ServerMetrics::Render(const EngineStats& s) {
  running_->Set(s.num_running);
  queued_->Set(s.num_waiting);
  used_tokens_->Set(static_cast<double>(s.kv_used_tokens));
  token_usage_->Set(s.kv_capacity_tokens > 0 ? static_cast<double>(s.kv_used_tokens) / s.kv_capacity_tokens : 0.0);
  cache_hit_rate_->Set(s.prompt_tokens > 0 ? static_cast<double>(s.cached_prompt_tokens) / s.prompt_tokens : 0.0);
  max_total_tokens_->Set(static_cast<double>(s.kv_capacity_tokens));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

}  // namespace sgl::server
