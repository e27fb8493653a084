// SGLang's native routes: POST /generate (a prompt or a batch, streamed as server-sent
// events or not, with SGLang's response and meta_info shapes), GET /health_generate,
// /get_model_info, /get_server_info, POST /flush_cache and /abort_request.
#pragma once

#include <memory>

#include "server/api_context.h"

namespace sgl::server {

void HandleGenerate(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);
void HandleHealthGenerate(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);
void HandleModelInfo(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);
void HandleServerInfo(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);
void HandleFlushCache(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);
void HandleAbortRequest(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);

// {"type": "stop", "matched": ...} | {"type": "length", "length": N} | {"type": "abort", "message": ...}
Json FinishReasonJson(const FinishReason& reason);

}  // namespace sgl::server
