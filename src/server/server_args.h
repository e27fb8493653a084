// ServerArgs: what `sgl serve` was started with, under SGLang's launch_server flag names
// (the CLI in tools/sgl/serve_command.cc fills it; /get_server_info reports it).
#pragma once

#include <cstdint>
#include <string>

#include "server/json_fields.h"
#include "sgl/engine.h"

namespace sgl::server {

struct ServerArgs {
  EngineOptions engine;
  std::string host = "127.0.0.1";
  int port = 30000;
  int dp_size = 1;
  std::string served_model_name;  // empty: the model path
  std::string chat_template;      // a .jinja file or a template string; empty: the model's
  std::string api_key;
  std::string log_level = "info";
  bool log_requests = false;
  bool log_req_id = false;          // one trace record per finished request
  std::string log_format = "text";  // text or json (trace records as JSON lines)
  int log_requests_level = 0;       // >= 2: prompt and output text may be logged
  bool enable_metrics = false;
  std::string dtype = "auto";
  int max_queued_requests = 0;  // 0: unlimited; more waiting => 503
  int64_t max_body_bytes = 64 << 20;
  double shutdown_timeout_seconds = 30;  // SIGTERM: in-flight requests get this long to finish
  int http_threads = 2;
  bool skip_server_warmup = false;
  std::string tool_call_parser;  // empty: tool calls stay in the text (see ToolCallParser)

  std::string ModelName() const { return served_model_name.empty() ? engine.model_path : served_model_name; }
  Json ToJson() const;
};

}  // namespace sgl::server
