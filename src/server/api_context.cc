#include "server/api_context.h"

#include <fmt/format.h>

namespace sgl::server {

std::string ApiContext::NewRequestId() {
  std::lock_guard<std::mutex> lock(rng_mu_);
  return fmt::format("{:016x}{:016x}", rng_(), rng_());
}

bool ApiContext::Overloaded() const {
  if (args.max_queued_requests <= 0) return false;
  const EngineStats s = engine.Stats();
  return s.num_waiting + s.num_waiting_aside >= args.max_queued_requests;
}

std::string DumpJson(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

void ReplyJson(HttpExchange& exchange, int status, const Json& body) {
  exchange.Reply(status, "application/json", DumpJson(body));
}

namespace {

const char* ErrorType(int status) {
  switch (status) {
    case 400: return "BadRequestError";
    case 401: return "AuthenticationError";
    case 404: return "NotFoundError";
    case 405: return "MethodNotAllowedError";
    case 413: return "RequestTooLargeError";
    case 429: return "RateLimitError";
    case 503: return "ServiceUnavailableError";
    default: return "InternalServerError";
  }
}

}  // namespace

Json ErrorBody(int status, const std::string& message, const std::string& param) {
  return Json{{"error",
               {{"message", message},
                {"type", ErrorType(status)},
                {"param", param.empty() ? Json(nullptr) : Json(param)},
                {"code", status}}}};
}

void ReplyError(HttpExchange& exchange, int status, const std::string& message, const std::string& param) {
  ReplyJson(exchange, status, ErrorBody(status, message, param));
}

int HttpStatusFor(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kUnsupported:
    case StatusCode::kNotFound: return 400;
    case StatusCode::kOutOfMemory: return 503;
    default: return 500;
  }
}

void ReplyStatus(HttpExchange& exchange, const Status& status) {
  ReplyError(exchange, HttpStatusFor(status), status.message());
}

std::string SseData(const Json& j) { return "data: " + DumpJson(j) + "\n\n"; }

}  // namespace sgl::server
