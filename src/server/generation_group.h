// GenerationGroup: the engine requests one HTTP request asked for (a batch of prompts, or
// n samples of one), run together: each item accumulates its streamed output; callbacks run
// on the HTTP connection's strand, in order; when the client goes away every unfinished
// item is aborted (its KV freed). Live items are findable by rid for /abort_request.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/http_server.h"
#include "server/server_activity.h"
#include "server/server_metrics.h"
#include "server/trace_log.h"
#include "sgl/engine.h"

namespace sgl::server {

using Clock = std::chrono::steady_clock;

struct GenerationItem {
  GenerateRequest request;  // input_ids filled in
  std::string rid;
  size_t index = 0;  // in the group
  bool return_text_in_logprobs = false;
  double tokenize_seconds = 0;  // chat template + tokenization of its HTTP request

  // Accumulated output.
  std::vector<int32_t> output_ids;
  std::string text;
  size_t streamed_bytes = 0;  // of text, as deltas delivered it (the final text may add a tail)
  std::vector<PositionLogprobs> input_logprobs, output_logprobs;
  std::optional<Result<GenerateResult>> result;  // once finished
  Clock::time_point submitted;
};

// rid -> engine request id of every live request (thread-safe), for /abort_request.
class LiveRequests {
 public:
  // False when `rid` is already live.
  bool Add(const std::string& rid, uint64_t engine_id);
  void Remove(const std::string& rid);
  std::optional<uint64_t> Find(const std::string& rid) const;
  std::vector<uint64_t> All() const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<std::string, uint64_t> ids_;
};

class GenerationGroup {
 public:
  struct Callbacks {
    std::function<void(const GenerationItem& item, const GenerateDelta& delta)> on_delta;
    std::function<void(std::vector<GenerationItem>& items)> on_done;  // once, after every item finished
  };
  struct Context {
    Engine& engine;
    ServerMetrics* metrics;      // may be null
    ServerActivity* activity;    // may be null
    LiveRequests& live;
    std::string route;           // for the status page and traces
    TraceLog* trace_log = nullptr;  // one trace record per finished item; null: none
    bool trace_text = false;        // ... with the prompt and output text (--log-requests-level >= 2)
  };
  // Submits every item.
  static void Start(const Context& context, std::shared_ptr<HttpExchange> exchange, std::vector<GenerationItem> items,
                    Callbacks callbacks);
};

}  // namespace sgl::server
