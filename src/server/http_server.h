// HttpServer: an HTTP/1.1 server (Boost.Beast over Asio) that hands each request to one
// handler and lets the handler answer later, from any thread, either with one response or
// with a stream of chunks (server-sent events). Connections are kept alive; a client that
// goes away while its answer is pending is reported to the handler (so generation can be
// aborted). Stop() stops accepting, gives in-flight exchanges up to a deadline to finish,
// then closes everything.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/status.h"

namespace sgl::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::string query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote;  // peer address

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// One request's answer. Every method is thread-safe and may be called after the client
// left (then it does nothing). Exactly one of Reply() or StartStream()..EndStream() per
// exchange.
class HttpExchange {
 public:
  virtual ~HttpExchange() = default;
  // Adds a header to the answer (call before Reply or StartStream).
  virtual void AddHeader(std::string name, std::string value) = 0;
  virtual void Reply(int status, std::string content_type, std::string body,
                     std::map<std::string, std::string> extra_headers = {}) = 0;
  // Sends the status line and headers of a chunked response.
  virtual void StartStream(int status, std::string content_type) = 0;
  virtual void WriteChunk(std::string data) = 0;
  virtual void EndStream() = 0;
  // `on_disconnect` runs (once, on a server thread) if the client goes away before the
  // answer is complete. Set it before starting work that should stop then.
  virtual void OnDisconnect(std::function<void()> on_disconnect) = 0;
  // Runs `fn` on this connection's strand (after what was posted before it); dropped if
  // the connection is gone. Lets other threads hand work to the server's threads.
  virtual void Post(std::function<void()> fn) = 0;
};

using HttpHandler = std::function<void(HttpRequest request, std::shared_ptr<HttpExchange> exchange)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 30000;
  int num_threads = 2;
  size_t max_body_bytes = 64 << 20;  // larger bodies get 413
  std::chrono::seconds idle_timeout{120};  // a kept-alive connection with no new request is closed
};

class Session;

class HttpServer {
 public:
  // Binds and listens (port 0 picks a free port; see port()).
  static Result<std::unique_ptr<HttpServer>> Create(const HttpServerOptions& options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const;
  // Serves on options.num_threads threads until Stop(); returns when all are done.
  void Run();
  // Thread-safe. Stops accepting new connections and new requests at once; exchanges in
  // flight get until `drain` to complete, then every connection is closed and Run returns.
  void Stop(std::chrono::milliseconds drain);
  // Exchanges started and not yet complete.
  int num_in_flight() const;

 private:
  friend class Session;
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sgl::server
