// The live status page: GET / serves a self-contained HTML page (inline CSS and JS, no
// external assets) that polls GET /server_status every second and shows the model,
// version, uptime, KV pool use, running and queued requests, prefix-cache hit rate,
// tokens/s with a chart of the last minutes, and the most recent requests (ids and
// counts, never contents). With --api-key the page asks for the key once (a form; kept
// for the browser session) and shows no numbers without it: /server_status needs it.
#pragma once

#include <memory>

#include "server/api_context.h"

namespace sgl::server {

void HandleStatusPage(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);
void HandleServerStatus(ApiContext& ctx, const HttpRequest& request, std::shared_ptr<HttpExchange> exchange);

}  // namespace sgl::server
