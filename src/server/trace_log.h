// TraceLog: the per-request trace records of --log-req-id / --log-requests, formatted and
// written (through spdlog, one text or JSON line each) on a thread of its own, so the
// thread that finishes a request, the engine's scheduler, only moves a TraceRecord into a
// queue. Prompt and output text appear only in records that carry them (the server fills
// them in under --log-requests-level >= 2). Add() is thread-safe; the destructor writes
// whatever is queued, then joins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "server/json_fields.h"
#include "sgl/engine.h"
#include "tokenizer/tokenizer.h"

namespace sgl::server {

// What one finished request's trace says; `error` set when it failed without a result.
struct TraceRecord {
  std::string rid;
  std::string route;
  double e2e_ms = 0;
  double tokenize_ms = 0;
  int64_t prompt_tokens = 0;
  bool constrained = false;
  std::optional<std::string> error;
  GenerateStats stats;
  std::string finish;
  std::optional<std::vector<int32_t>> prompt_ids;  // contents: only when they may be logged
  std::optional<std::string> output_text;
};

// The record as one JSON object (the prompt decoded with `tokenizer`). Pure function.
Json TraceJson(const TraceRecord& record, const Tokenizer& tokenizer);
// The record as a text line's tail: " key=value ..." (every key but rid).
std::string TraceText(const Json& trace);

class TraceLog {
 public:
  // `tokenizer` must outlive the log.
  TraceLog(const Tokenizer& tokenizer, bool json);
  ~TraceLog();
  TraceLog(const TraceLog&) = delete;
  TraceLog& operator=(const TraceLog&) = delete;

  void Add(TraceRecord record);

 private:
  void Run();

  const Tokenizer& tokenizer_;
  const bool json_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<TraceRecord> queue_;  // guarded by mu_
  bool stopping_ = false;          // guarded by mu_
  std::thread thread_;             // last: starts once the rest is ready
};

}  // namespace sgl::server
