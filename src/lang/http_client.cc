#include "lang/http_client.h"

#include <cstdint>
#include <limits>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace sgl::lang {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

Status NetError(const std::string& what, const beast::error_code& ec) {
  return IoError("{}: {}", what, ec.message());
}

}  // namespace

Result<HttpClient> HttpClient::Create(const std::string& base_url, std::string api_key, std::chrono::seconds timeout) {
  const std::string scheme = "http://";
  if (!base_url.starts_with(scheme)) return InvalidArgument("'{}' is not an http:// URL", base_url);
  std::string rest = base_url.substr(scheme.size());
  std::string prefix;
  if (size_t slash = rest.find('/'); slash != std::string::npos) {
    prefix = rest.substr(slash);
    rest.resize(slash);
  }
  while (prefix.ends_with('/')) prefix.pop_back();
  std::string host = rest, port = "80";
  if (size_t colon = rest.rfind(':'); colon != std::string::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
    if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos)
      return InvalidArgument("'{}' has a bad port", base_url);
  }
  if (host.empty()) return InvalidArgument("'{}' has no host", base_url);
  return HttpClient(std::move(host), std::move(port), std::move(prefix), std::move(api_key), timeout);
}

Result<std::string> HttpClient::Get(const std::string& path) const {
  std::string body;
  SGL_RETURN_IF_ERROR(Send("GET", path, "", [&body](std::string_view piece) { body += piece; }));
  return body;
}

Result<std::string> HttpClient::Post(const std::string& path, const std::string& json_body) const {
  std::string body;
  SGL_RETURN_IF_ERROR(Send("POST", path, json_body, [&body](std::string_view piece) { body += piece; }));
  return body;
}

Status HttpClient::PostStreaming(const std::string& path, const std::string& json_body,
                                 const BodyCallback& on_body) const {
  return Send("POST", path, json_body, on_body);
}

Status HttpClient::Send(const char* method, const std::string& path, const std::string& body,
                        const BodyCallback& on_body) const {
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(host_, port_, ec);
  if (ec) return NetError("resolve " + host_, ec);
  stream.expires_after(timeout_);
  stream.connect(endpoints, ec);
  if (ec) return NetError("connect to " + host_ + ":" + port_, ec);

  http::request<http::string_body> req(http::string_to_verb(method), prefix_ + path, 11);
  req.set(http::field::host, host_);
  req.set(http::field::content_type, "application/json");
  if (!api_key_.empty()) req.set(http::field::authorization, "Bearer " + api_key_);
  req.body() = body;
  req.prepare_payload();
  http::write(stream, req, ec);
  if (ec) return NetError(std::string(method) + " " + path, ec);

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // not boost::none: Boost 1.74 compares it as "exceeded"
  http::read_header(stream, buffer, parser, ec);
  if (ec) return NetError("reading the answer to " + path, ec);
  const unsigned status = parser.get().result_int();
  size_t handed = 0;
  while (!parser.is_done()) {
    http::read_some(stream, buffer, parser, ec);
    if (ec) return NetError("reading the answer to " + path, ec);
    const std::string& so_far = parser.get().body();
    if (status == 200 && so_far.size() > handed) {
      on_body(std::string_view(so_far).substr(handed));
      handed = so_far.size();
    }
  }
  if (status != 200) return Status(StatusCode::kInvalidArgument, fmt::format("{} {}: HTTP {}: {}", method, path, status, parser.get().body()));
  const std::string& all = parser.get().body();
  if (all.size() > handed) on_body(std::string_view(all).substr(handed));
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  return Status::Ok();
}

}  // namespace sgl::lang
