// HttpClient: blocking HTTP/1.1 requests to one server (Boost.Beast), a new connection
// per request so any number of threads may use one client at once. Answers other than
// 200 become errors carrying the server's body. Plain http:// only.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "sgl/status.h"

namespace sgl::lang {

class HttpClient {
 public:
  using BodyCallback = std::function<void(std::string_view)>;

  // `base_url`: http://host[:port][/prefix]. InvalidArgument for anything else.
  static Result<HttpClient> Create(const std::string& base_url, std::string api_key = "",
                                   std::chrono::seconds timeout = std::chrono::seconds(600));

  Result<std::string> Get(const std::string& path) const;
  Result<std::string> Post(const std::string& path, const std::string& json_body) const;
  // Posts and hands the response body to `on_body` in pieces as they arrive (for
  // server-sent events). Fails on a non-200 answer before any piece is handed over.
  Status PostStreaming(const std::string& path, const std::string& json_body, const BodyCallback& on_body) const;

 private:
  HttpClient(std::string host, std::string port, std::string prefix, std::string api_key, std::chrono::seconds timeout)
      : host_(std::move(host)), port_(std::move(port)), prefix_(std::move(prefix)), api_key_(std::move(api_key)),
        timeout_(timeout) {}
  Status Send(const char* method, const std::string& path, const std::string& body, const BodyCallback& on_body) const;

  std::string host_, port_, prefix_, api_key_;
  std::chrono::seconds timeout_;
};

}  // namespace sgl::lang
