// `sgl serve`: the HTTP server (SGLang's native API and the OpenAI API) with SGLang's
// launch_server flag names. SIGTERM or SIGINT drains: no new requests, in-flight ones get
// --shutdown-timeout seconds to finish (then they are aborted), exit code 0.
#include <atomic>
#include <csignal>
#include <set>
#include <thread>

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "server/api_server.h"
#include "server/http_server.h"
#include "server/server_args.h"

namespace sgl::cli {
namespace {

const std::map<std::string, spdlog::level::level_enum> kLogLevels = {
    {"debug", spdlog::level::debug}, {"info", spdlog::level::info}, {"warning", spdlog::level::warn},
    {"error", spdlog::level::err}, {"critical", spdlog::level::critical}};

Status CheckArgs(const server::ServerArgs& a) {
  if (a.dp_size != 1) return Unsupported("--dp-size {}: data parallelism is not supported yet", a.dp_size);
  if (a.engine.mem_fraction_static < 0 || a.engine.mem_fraction_static >= 1)
    return InvalidArgument("--mem-fraction-static must be in (0, 1), got {}", a.engine.mem_fraction_static);
  static const std::set<std::string> kDtypes = {"auto", "half", "float16", "bfloat16", "float", "float32"};
  if (!kDtypes.contains(a.dtype)) return InvalidArgument("--dtype {} is not one of auto, half, float16, bfloat16, float, float32", a.dtype);
  return Status::Ok();
}

// Blocks SIGTERM/SIGINT in this thread and every thread it starts later, so that one
// thread can wait for them with sigwait.
sigset_t BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int Serve(server::ServerArgs& args) {
  if (args.engine.model_path.empty()) args.engine.model_path = DefaultModelPath();
  spdlog::set_level(kLogLevels.at(args.log_level));
  if (Status s = CheckArgs(args); !s.ok()) {
    spdlog::error("{}", s.message());
    return 2;
  }
  const sigset_t signals = BlockShutdownSignals();
  spdlog::info("loading {}", args.engine.model_path);
  auto engine = Engine::Create(args.engine);
  if (!engine.ok()) {
    spdlog::error("{}", engine.status().message());
    return 1;
  }
  const ModelInfo info = (*engine)->Info();
  spdlog::info("model: {} ({}); backend {}; context {} tokens; KV cache {} tokens", info.summary, info.description,
               info.backend, info.context_length, info.kv_capacity_tokens);
  auto api = server::ApiServer::Create(**engine, args);
  if (!api.ok()) {
    spdlog::error("{}", api.status().message());
    return 1;
  }
  server::HttpServerOptions http;
  http.host = args.host;
  http.port = args.port;
  http.num_threads = args.http_threads;
  http.max_body_bytes = static_cast<size_t>(args.max_body_bytes);
  auto server = server::HttpServer::Create(http, [api = api->get()](server::HttpRequest r, std::shared_ptr<server::HttpExchange> x) {
    api->Handle(std::move(r), std::move(x));
  });
  if (!server.ok()) {
    spdlog::error("{}", server.status().message());
    return 1;
  }
  std::atomic<bool> stopped{false};
  std::thread signal_waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    if (stopped.load()) return;  // woken by the shutdown below, not by a user
    spdlog::info("received {}: draining ({} requests in flight, up to {} s)", signal == SIGTERM ? "SIGTERM" : "SIGINT",
                 (*server)->num_in_flight(), args.shutdown_timeout_seconds);
    (*server)->Stop(std::chrono::milliseconds(static_cast<int64_t>(args.shutdown_timeout_seconds * 1000)));
  });
  spdlog::info("The server is fired up and ready to roll! Serving {} at http://{}:{}", args.ModelName(), args.host,
               (*server)->port());
  (*server)->Run();
  stopped.store(true);
  pthread_kill(signal_waiter.native_handle(), SIGTERM);
  signal_waiter.join();
  // The engine goes first: its last callbacks (aborting what is left) still use the API's
  // state, which must outlive them.
  engine->reset();
  spdlog::info("server stopped");
  return 0;
}

}  // namespace

void AddServeCommand(CLI::App& root, int* exit_code) {
  auto args = std::make_shared<server::ServerArgs>();
  server::ServerArgs& a = *args;
  EngineOptions& e = a.engine;
  CLI::App* cmd = root.add_subcommand("serve", "Serve a model over HTTP: SGLang's native API and the OpenAI API");
  cmd->add_option("--model-path,--model", e.model_path, "A .gguf file or a Hugging Face folder (default: the bundled SmolLM2)");
  cmd->add_option("--tokenizer-path", e.tokenizer_path, "Tokenizer folder or .gguf (default: the model's)");
  cmd->add_option("--host", a.host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", a.port, "Port to listen on (0: any free port)")->capture_default_str()->check(CLI::Range(0, 65535));
  AddTpSizeOption(*cmd, &a.engine.tp_size);
  cmd->add_option("--dp-size,--data-parallel-size", a.dp_size, "Data-parallel replicas")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--mem-fraction-static", e.mem_fraction_static, "Share of memory for weights + KV cache (default: backend's)");
  cmd->add_option("--max-running-requests", e.max_running_requests, "Requests decoded together at most")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-queued-requests", a.max_queued_requests, "Waiting requests beyond which new ones get 503 (0: no limit)")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-total-tokens", e.max_total_tokens, "KV cache capacity in tokens (default: from --mem-fraction-static)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--chunked-prefill-size", e.chunked_prefill_size, "Prompt tokens per request per step (-1: no chunking)")->capture_default_str();
  cmd->add_option("--max-prefill-tokens", e.max_prefill_tokens, "Prompt tokens per step")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--schedule-policy", e.schedule_policy, "Waiting-queue order")->capture_default_str()->check(CLI::IsMember({"fcfs", "lpm", "dfs-weight", "lof", "random"}));
  cmd->add_flag("--disable-radix-cache", e.disable_radix_cache, "Do not reuse KV of shared prefixes");
  cmd->add_flag("--disable-overlap-schedule", e.disable_overlap_schedule,
                "Build each step only after the last one's results");
  cmd->add_flag_callback("--disable-local-image-files", [&e] { e.allow_local_image_files = false; },
                         "Refuse images named by a local file path (400); by default, as SGLang, the server reads "
                         "any file a client names. data: URLs and base64 are still read");
  cmd->add_option("--tool-call-parser", a.tool_call_parser, "Parse tool calls out of chat outputs in this model family's format")
      ->check(CLI::IsMember(server::ToolCallParser::Names()));
  cmd->add_option("--grammar-backend", e.grammar_backend,
                  "Constrained decoding (regex, json_schema, ebnf): xgrammar, outlines and llguidance all mean the "
                  "built-in backend; none refuses constrained requests")
      ->capture_default_str()
      ->check(CLI::IsMember({"xgrammar", "outlines", "llguidance", "none"}));
  cmd->add_flag("--disable-jump-forward", e.disable_jump_forward,
                "Sample every token of a constrained request, even text its grammar forces");
  cmd->add_flag("--disable-grammar-budget", e.disable_grammar_budget,
                "Let a constrained request run into max_new_tokens mid-grammar (cut output) instead of steering it "
                "to finish its grammar in time");
  cmd->add_option("--context-length", e.context_length, "Context length (default: the model's)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--page-size", e.page_size, "KV cache page size in tokens")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--served-model-name", a.served_model_name, "Model name in the API (default: the model path)");
  cmd->add_option("--chat-template", a.chat_template, "Chat template: a .jinja file or the template text (default: the model's)");
  cmd->add_option("--api-key", a.api_key, "Require 'Authorization: Bearer <key>' on every route but /health");
  cmd->add_option("--log-level", a.log_level, "Log level")->capture_default_str()->check(CLI::IsMember({"debug", "info", "warning", "error", "critical"}));
  cmd->add_flag("--log-requests", a.log_requests, "Log every request and its trace record (with its id)");
  cmd->add_flag("--log-req-id", a.log_req_id, "Log one trace record per finished request: the timings of its stages");
  cmd->add_option("--log-format", a.log_format, "Trace records as text or json (one object per line)")->capture_default_str()->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--log-requests-level", a.log_requests_level, "0-1: no prompt or output text in logs; 2+: allowed")->capture_default_str()->check(CLI::Range(0, 3));
  cmd->add_flag("--enable-metrics", a.enable_metrics, "Serve Prometheus metrics on /metrics");
  cmd->add_option("--device", e.device, "cpu, cuda, or auto (cuda when a GPU is visible)")->capture_default_str()->check(CLI::IsMember({"cpu", "cuda", "auto"}));
  cmd->add_option("--cuda-graph-max-bs", e.cuda_graph_max_bs, "Largest decode batch run as a CUDA graph")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_flag_callback("--disable-cuda-graph", [&e] { e.cuda_graph_max_bs = 0; }, "Run every step without CUDA graphs");
  cmd->add_option("--dtype", a.dtype, "Weight/activation dtype: auto, half, float16, bfloat16, float, float32")->capture_default_str();
  cmd->add_option("--random-seed", e.random_seed, "Seed of requests without their own")->capture_default_str();
  cmd->add_option("--threads", e.num_threads, "CPU threads for the model (0: all)")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--http-threads", a.http_threads, "Threads serving HTTP")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--max-body-bytes", a.max_body_bytes, "Largest request body (larger: 413)")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--shutdown-timeout", a.shutdown_timeout_seconds, "Seconds in-flight requests get after SIGTERM")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_flag("--skip-server-warmup", a.skip_server_warmup, "Accepted for SGLang compatibility (no warm-up is run)");
  cmd->callback([args, exit_code] { *exit_code = Serve(*args); });
}

}  // namespace sgl::cli
