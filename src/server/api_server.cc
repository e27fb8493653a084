#include "server/api_server.h"

#include <array>

#include <spdlog/spdlog.h>

#include "server/native_api.h"
#include "server/openai_api.h"
#include "server/status_page.h"

namespace sgl::server {
namespace {

using Handler = void (*)(ApiContext&, const HttpRequest&, std::shared_ptr<HttpExchange>);

struct Route {
  const char* path;
  std::array<const char*, 2> methods;
  Handler handler;
};

void Health(ApiContext&, const HttpRequest&, std::shared_ptr<HttpExchange> exchange) {
  exchange->Reply(200, "text/plain", "");
}

void Metrics(ApiContext& ctx, const HttpRequest&, std::shared_ptr<HttpExchange> exchange) {
  exchange->Reply(200, "text/plain; version=0.0.4; charset=utf-8", ctx.metrics->Render(ctx.engine.Stats()));
}

constexpr Route kRoutes[] = {
    {"/health", {"GET", nullptr}, Health},
    {"/health_generate", {"GET", nullptr}, HandleHealthGenerate},
    {"/get_model_info", {"GET", nullptr}, HandleModelInfo},
    {"/model_info", {"GET", nullptr}, HandleModelInfo},
    {"/get_server_info", {"GET", nullptr}, HandleServerInfo},
    {"/server_info", {"GET", nullptr}, HandleServerInfo},
    {"/flush_cache", {"GET", "POST"}, HandleFlushCache},
    {"/abort_request", {"POST", nullptr}, HandleAbortRequest},
    {"/generate", {"POST", "PUT"}, HandleGenerate},
    {"/v1/models", {"GET", nullptr}, HandleListModels},
    {"/v1/completions", {"POST", nullptr}, HandleCompletions},
    {"/v1/chat/completions", {"POST", nullptr}, HandleChatCompletions},
    {"/v1/tokenize", {"POST", nullptr}, HandleTokenize},
    {"/v1/detokenize", {"POST", nullptr}, HandleDetokenize},
    {"/metrics", {"GET", nullptr}, Metrics},
    {"/", {"GET", nullptr}, HandleStatusPage},
    {"/server_status", {"GET", nullptr}, HandleServerStatus},
};

// Compares in time independent of where the strings differ.
bool SameSecret(std::string_view given, std::string_view key) {
  if (given.size() != key.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < key.size(); ++i) diff |= static_cast<unsigned char>(given[i] ^ key[i]);
  return diff == 0;
}

}  // namespace

Result<std::unique_ptr<ApiServer>> ApiServer::Create(Engine& engine, const ServerArgs& args) {
  auto server = std::unique_ptr<ApiServer>(new ApiServer(engine, args));
  ApiContext& ctx = server->ctx_;
  const std::string& tokenizer_path = args.engine.tokenizer_path.empty() ? args.engine.model_path : args.engine.tokenizer_path;
  if (!args.chat_template.empty()) {
    ctx.chat = ChatPrompt::FromUser(args.chat_template, ctx.tokenizer);
    if (!ctx.chat.ok()) return ctx.chat.status();
  } else {
    ctx.chat = ChatPrompt::Load(tokenizer_path, ctx.tokenizer);
    if (!ctx.chat.ok()) spdlog::warn("no chat template: {} (/v1/chat/completions will refuse requests)", ctx.chat.status().message());
  }
  if (args.enable_metrics) ctx.metrics = std::make_unique<ServerMetrics>(args.ModelName());
  SGL_ASSIGN_OR_RETURN(ToolCallParser forced, ToolCallParser::Create("json_array"));
  ctx.forced_tool_parser = std::move(forced);
  if (!args.tool_call_parser.empty()) {
    SGL_ASSIGN_OR_RETURN(ToolCallParser parser, ToolCallParser::Create(args.tool_call_parser));
    ctx.tool_parser = std::move(parser);
  }
  return server;
}

bool ApiServer::Authorized(const HttpRequest& request) const {
  // The status page's HTML holds no data; its numbers come from /server_status.
  if (ctx_.args.api_key.empty() || request.path == "/health" || request.path == "/") return true;
  const std::string header = request.Header("authorization");
  const std::string prefix = "Bearer ";
  if (header.compare(0, prefix.size(), prefix) != 0) return false;
  return SameSecret(header.substr(prefix.size()), ctx_.args.api_key);
}

void ApiServer::Handle(HttpRequest request, std::shared_ptr<HttpExchange> exchange) {
  spdlog::debug("{} {} from {}", request.method, request.path, request.remote);
  if (!Authorized(request)) return ReplyError(*exchange, 401, "Unauthorized: a valid 'Authorization: Bearer <api key>' header is required");
  const Route* route = nullptr;
  for (const Route& r : kRoutes)
    if (request.path == r.path) route = &r;
  if (route == nullptr && request.path.starts_with("/v1/models/")) {
    if (request.method != "GET") return ReplyError(*exchange, 405, "method not allowed");
    return HandleRetrieveModel(ctx_, request, exchange);
  }
  if (route == nullptr || (route->handler == Metrics && !ctx_.metrics))
    return ReplyError(*exchange, 404, fmt::format("no route {} {}", request.method, request.path));
  const bool allowed = std::any_of(route->methods.begin(), route->methods.end(),
                                   [&](const char* m) { return m != nullptr && request.method == m; });
  if (!allowed) return ReplyError(*exchange, 405, fmt::format("{} does not accept {}", request.path, request.method));
  route->handler(ctx_, request, std::move(exchange));
}

}  // namespace sgl::server
