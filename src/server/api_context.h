// ApiContext: what every route shares (the engine, its tokenizer and chat template, the
// server's arguments, live request ids, metrics), and how routes answer: JSON bodies,
// server-sent events, and errors in the OpenAI shape {"error": {message, type, param, code}}.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "server/generation_group.h"
#include "server/http_server.h"
#include "server/json_fields.h"
#include "server/server_args.h"
#include "server/server_metrics.h"
#include "server/tool_call_parser.h"
#include "sgl/engine.h"
#include "tokenizer/chat_prompt.h"
#include "tokenizer/tokenizer.h"

namespace sgl::server {

struct ApiContext {
  ApiContext(Engine& e, const ServerArgs& a) : engine(e), args(a), tokenizer(e.tokenizer()) {
    if (a.log_requests || a.log_req_id) trace_log = std::make_unique<TraceLog>(tokenizer, a.log_format == "json");
  }

  Engine& engine;
  const ServerArgs& args;
  const Tokenizer& tokenizer;
  Result<ChatPrompt> chat = Status(StatusCode::kNotFound, "no chat template loaded");
  std::optional<ToolCallParser> tool_parser;  // with --tool-call-parser
  std::optional<ToolCallParser> forced_tool_parser;  // json_array: tool_choice "required" or named
  std::unique_ptr<ServerMetrics> metrics;  // null without --enable-metrics
  LiveRequests live;
  ServerActivity activity;
  std::unique_ptr<TraceLog> trace_log;  // with --log-req-id or --log-requests
  const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

  // A fresh random 32-hex-digit id (as SGLang's uuid4().hex). Thread-safe.
  std::string NewRequestId();
  // Whether more requests may be queued (--max-queued-requests).
  bool Overloaded() const;
  GenerationGroup::Context Generation(const std::string& route) {
    return {engine, metrics.get(), &activity, live, route, trace_log.get(), args.log_requests_level >= 2};
  }

 private:
  std::mutex rng_mu_;
  std::mt19937_64 rng_{std::random_device{}()};
};

// Serializes with invalid UTF-8 replaced (never throws).
std::string DumpJson(const Json& j);
void ReplyJson(HttpExchange& exchange, int status, const Json& body);
void ReplyError(HttpExchange& exchange, int status, const std::string& message, const std::string& param = "");
// 400 for invalid or unsupported input, 503 for an engine that cannot take it now, else 500.
int HttpStatusFor(const Status& status);
void ReplyStatus(HttpExchange& exchange, const Status& status);
std::string SseData(const Json& j);
Json ErrorBody(int status, const std::string& message, const std::string& param = "");

}  // namespace sgl::server
