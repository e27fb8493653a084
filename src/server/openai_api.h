// The OpenAI-compatible routes: GET /v1/models (and /v1/models/{id}), POST /v1/completions
// and /v1/chat/completions (n, stop, max_tokens / max_completion_tokens, temperature,
// top_p, seed, penalties, logprobs / top_logprobs, stream with SSE chunks and
// stream_options.include_usage, SGLang's extra sampling fields), POST /v1/tokenize and
// /v1/detokenize. Errors come in OpenAI's {"error": {...}} body.
#pragma once

#include <memory>

#include "server/api_context.h"

namespace sgl::server {

void HandleListModels(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);
void HandleRetrieveModel(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);
void HandleCompletions(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);
void HandleChatCompletions(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);
void HandleTokenize(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);
void HandleDetokenize(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);

}  // namespace sgl::server
