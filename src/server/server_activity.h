// ServerActivity: what the status page shows about traffic, never request contents: the
// most recent requests (id, route, state, prompt / cached / output tokens, latency), the
// number of requests so far, and tokens generated per second over the last minutes.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "server/json_fields.h"

namespace sgl::server {

class ServerActivity {
 public:
  explicit ServerActivity(size_t max_recent = 50, size_t history_seconds = 300);

  void Started(const std::string& rid, const std::string& route, int64_t prompt_tokens);
  void Generated(int64_t tokens);
  // state: the finish reason ("stop", "length", "abort") or "error".
  void Finished(const std::string& rid, const std::string& state, int64_t cached_tokens, int64_t output_tokens);

  // {"requests_total", "recent": [{id, route, state, prompt_tokens, cached_tokens,
  //  output_tokens, latency_s}], "tokens_per_second": [oldest .. last whole second]}
  Json Snapshot();

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::string rid, route, state;
    int64_t prompt_tokens = 0, cached_tokens = 0, output_tokens = 0;
    Clock::time_point start;
    double latency = 0;
  };
  int64_t SecondNow() const;
  void AdvanceTo(int64_t second);

  const size_t max_recent_;
  const size_t history_seconds_;
  const Clock::time_point epoch_ = Clock::now();
  std::mutex mu_;  // guards everything below
  std::deque<Entry> recent_;  // newest first
  int64_t requests_total_ = 0;
  std::deque<int64_t> per_second_;  // tokens generated in each second, the current one last
  int64_t last_second_ = 0;
};

}  // namespace sgl::server
