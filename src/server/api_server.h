// ApiServer: SGLang's HTTP API over one Engine: routes requests to the native and OpenAI
// handlers, enforces --api-key (Bearer) on every route but /health, serves /metrics when
// enabled, and answers unknown routes with 404 and wrong methods with 405.
#pragma once

#include <memory>

#include "server/api_context.h"
#include "server/http_server.h"

namespace sgl::server {

class ApiServer {
 public:
  // Loads the chat template (--chat-template, else the model's; a model without one still
  // serves everything but /v1/chat/completions). REQUIRES: engine and args outlive this.
  static Result<std::unique_ptr<ApiServer>> Create(Engine& engine, const ServerArgs& args);

  // The HttpHandler.
  void Handle(HttpRequest request, std::shared_ptr<HttpExchange> exchange);

  const ApiContext& context() const { return ctx_; }

 private:
  ApiServer(Engine& engine, const ServerArgs& args) : ctx_(engine, args) {}
  bool Authorized(const HttpRequest& request) const;

  ApiContext ctx_;
};

}  // namespace sgl::server
