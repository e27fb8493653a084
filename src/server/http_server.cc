#include "server/http_server.h"

#include <atomic>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

namespace sgl::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string StatusLine(int status) {
  const beast::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
  return fmt::format("HTTP/1.1 {} {}\r\n", status, std::string_view(reason.data(), reason.size()));
}

std::string ToLower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

class Session;

struct HttpServer::Impl {
  Impl(const HttpServerOptions& o, HttpHandler h) : options(o), handler(std::move(h)), acceptor(ioc), drain_timer(ioc) {}

  void Accept();
  void Register(const std::shared_ptr<Session>& s);
  void Unregister(Session* s);
  void BeginStop(std::chrono::milliseconds drain);
  void CheckDrained();
  std::vector<std::shared_ptr<Session>> Sessions();

  HttpServerOptions options;
  HttpHandler handler;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};
  std::mutex mu;  // guards sessions
  std::unordered_map<Session*, std::weak_ptr<Session>> sessions;
  // Declared last so that it goes first: its pending handlers own sessions, which
  // unregister themselves from the map above as they go.
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::steady_timer drain_timer;
  Clock::time_point drain_deadline;
};

// One connection. All of its state is touched only on its strand.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, HttpServer::Impl& server) : stream_(std::move(socket)), server_(server) {}
  ~Session() { server_.Unregister(this); }

  void Start() {
    beast::error_code ec;
    const tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = fmt::format("{}:{}", peer.address().to_string(), peer.port());
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->ReadRequest(); });
  }

  // Posted from Exchange: run `fn` on this session's strand.
  template <typename Fn>
  void Post(Fn&& fn) {
    net::post(stream_.get_executor(), std::forward<Fn>(fn));
  }

  // On the strand: queue bytes; `completes` marks the end of the current exchange.
  void Send(uint64_t exchange, std::string bytes, bool completes, bool close_after) {
    if (closed_ || exchange != exchange_id_ || !pending_) return;
    if (completes) {
      pending_ = false;
      if (close_after) keep_alive_ = false;
    }
    writes_.push_back({std::move(bytes), completes});
    if (!writing_) WriteNext();
  }

  void SetDisconnectHandler(uint64_t exchange, std::function<void()> fn) {
    if (exchange != exchange_id_) return;
    if (abandoned_) return fn();  // the client left before the handler asked
    on_disconnect_ = std::move(fn);
  }

  void Close() {
    if (closed_) return;
    closed_ = true;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
    Uncount();
    if (pending_) {
      pending_ = false;
      abandoned_ = true;
      if (on_disconnect_) std::exchange(on_disconnect_, nullptr)();
    }
  }

  void CloseIfIdle() {
    if (!pending_ && writes_.empty()) Close();
  }

 private:
  struct Write {
    std::string bytes;
    bool completes;
  };

  void ReadRequest() {
    if (closed_) return;
    if (server_.stopping.load()) return Close();
    parser_.emplace();
    parser_->body_limit(server_.options.max_body_bytes);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(server_.options.idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRequest(ec); });
  }

  void OnRequest(beast::error_code ec) {
    if (closed_) return;
    if (ec == http::error::body_limit) {
      linger_ = true;  // the client may still be sending its body: read it before closing
      return RejectAndClose(413, fmt::format("request body too large (limit {} bytes)", server_.options.max_body_bytes));
    }
    if (ec == http::error::header_limit) return RejectAndClose(431, "request headers too large");
    if (ec == http::error::end_of_stream || ec == net::error::operation_aborted || ec == beast::error::timeout ||
        ec == net::error::eof || ec == net::error::connection_reset)
      return Close();
    if (ec) return RejectAndClose(400, fmt::format("malformed HTTP request: {}", ec.message()));
    stream_.expires_never();
    http::request<http::string_body> msg = parser_->release();
    keep_alive_ = msg.keep_alive();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    std::string target(msg.target());
    const size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    for (const auto& field : msg) req.headers[ToLower(std::string(field.name_string()))] = std::string(field.value());
    req.body = std::move(msg.body());
    req.remote = remote_;
    if (server_.stopping.load()) return RejectAndClose(503, "the server is shutting down");
    BeginExchange();
    WatchForDisconnect();
    server_.handler(std::move(req), MakeExchange());
  }

  void BeginExchange() {
    ++exchange_id_;
    pending_ = true;
    counted_ = true;
    on_disconnect_ = nullptr;
    server_.in_flight.fetch_add(1);
  }

  // The exchange stops counting as in flight once its answer is written or the
  // connection is gone.
  void Uncount() {
    if (std::exchange(counted_, false)) server_.in_flight.fetch_sub(1);
  }

  std::shared_ptr<HttpExchange> MakeExchange();

  // Plain-text error for requests that never reach the handler.
  void RejectAndClose(int status, const std::string& message) {
    BeginExchange();
    keep_alive_ = false;
    const std::string body = fmt::format("{{\"error\":{{\"message\":\"{}\",\"code\":{}}}}}", message, status);
    Send(exchange_id_, fmt::format("{}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                                   StatusLine(status), body.size(), body),
         true, true);
  }

  // A readable socket while the answer is pending means the client either sent more
  // (pipelining: leave it for the next read) or closed the connection. The wake-up may be
  // spurious: the peek must not block (it would stall this connection's strand, and with
  // it the answer), so nothing to read means watch again.
  void WatchForDisconnect() {
    stream_.socket().async_wait(tcp::socket::wait_read, [self = shared_from_this(), id = exchange_id_](beast::error_code ec) {
      if (self->closed_ || id != self->exchange_id_ || !self->pending_) return;
      if (ec == net::error::operation_aborted) return;
      char byte;
      beast::error_code peek_ec;
      tcp::socket& socket = self->stream_.socket();
      socket.non_blocking(true, peek_ec);
      const size_t n = peek_ec ? 0 : socket.receive(net::buffer(&byte, 1), tcp::socket::message_peek, peek_ec);
      if (!ec && (peek_ec == net::error::would_block || peek_ec == net::error::try_again)) return self->WatchForDisconnect();
      if (ec || peek_ec || n == 0) self->Close();
    });
  }

  void WriteNext() {
    if (writes_.empty() || closed_) {
      writing_ = false;
      return;
    }
    writing_ = true;
    net::async_write(stream_.socket(), net::buffer(writes_.front().bytes),
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWritten(ec); });
  }

  void OnWritten(beast::error_code ec) {
    if (ec) {
      writing_ = false;
      writes_.clear();
      return Close();
    }
    const bool completes = writes_.front().completes;
    writes_.pop_front();
    if (completes) {
      Uncount();
      on_disconnect_ = nullptr;
      if (!keep_alive_ || server_.stopping.load()) {
        writing_ = false;
        return linger_ ? Linger() : Close();
      }
      ReadRequest();
    }
    WriteNext();
  }

  // Lingering close: stop sending, then read and drop what the client still sends (up to
  // a limit and a deadline), so that it sees our answer instead of a reset.
  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.expires_after(std::chrono::seconds(5));
    linger_buffer_.resize(64 * 1024);
    DrainInput(0);
  }

  void DrainInput(size_t drained) {
    stream_.async_read_some(net::buffer(linger_buffer_), [self = shared_from_this(), drained](beast::error_code ec, size_t n) {
      if (ec || drained + n > (size_t{256} << 20)) return self->Close();
      self->DrainInput(drained + n);
    });
  }

  beast::tcp_stream stream_;
  HttpServer::Impl& server_;
  bool linger_ = false;
  std::vector<char> linger_buffer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_;
  std::deque<Write> writes_;
  std::function<void()> on_disconnect_;
  uint64_t exchange_id_ = 0;
  bool pending_ = false;  // the current exchange awaits its (complete) answer
  bool counted_ = false;  // the current exchange counts in server_.in_flight
  bool keep_alive_ = true;
  bool writing_ = false;
  bool closed_ = false;
  bool abandoned_ = false;  // closed while the current exchange awaited its answer
};

namespace {

class Exchange final : public HttpExchange {
 public:
  Exchange(std::weak_ptr<Session> session, uint64_t id) : session_(std::move(session)), id_(id) {}

  void AddHeader(std::string name, std::string value) override {
    // Values may come from clients: no control characters (no header injection).
    std::erase_if(value, [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
    std::erase_if(name, [](char c) { return !(std::isalnum(static_cast<unsigned char>(c)) || c == '-'); });
    std::lock_guard<std::mutex> lock(mu_);
    headers_ += fmt::format("{}: {}\r\n", name, value);
  }

  void Reply(int status, std::string content_type, std::string body,
             std::map<std::string, std::string> extra_headers) override {
    std::string head = StatusLine(status);
    head += fmt::format("Content-Type: {}\r\nContent-Length: {}\r\n", content_type, body.size());
    for (const auto& [name, value] : extra_headers) head += fmt::format("{}: {}\r\n", name, value);
    head += AddedHeaders() + "\r\n";
    Send(head + body, true);
  }

  void StartStream(int status, std::string content_type) override {
    Send(StatusLine(status) +
             fmt::format("Content-Type: {}\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n", content_type) +
             AddedHeaders() + "\r\n",
         false);
  }

  void WriteChunk(std::string data) override {
    if (data.empty()) return;  // an empty chunk would end the stream
    Send(fmt::format("{:x}\r\n", data.size()) + data + "\r\n", false);
  }

  void EndStream() override { Send("0\r\n\r\n", true); }

  void Post(std::function<void()> fn) override {
    if (auto s = session_.lock()) s->Post(std::move(fn));
  }

  void OnDisconnect(std::function<void()> on_disconnect) override {
    if (auto s = session_.lock())
      s->Post([s, id = id_, fn = std::move(on_disconnect)]() mutable { s->SetDisconnectHandler(id, std::move(fn)); });
  }

 private:
  std::string AddedHeaders() {
    std::lock_guard<std::mutex> lock(mu_);
    return headers_;
  }

  void Send(std::string bytes, bool completes) {
    if (auto s = session_.lock())
      s->Post([s, id = id_, bytes = std::move(bytes), completes]() mutable { s->Send(id, std::move(bytes), completes, false); });
  }

  std::weak_ptr<Session> session_;
  uint64_t id_;
  std::mutex mu_;  // guards headers_
  std::string headers_;
};

}  // namespace

std::shared_ptr<HttpExchange> Session::MakeExchange() { return std::make_shared<Exchange>(weak_from_this(), exchange_id_); }

void HttpServer::Impl::Accept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!stopping.load() && ec != net::error::operation_aborted) Accept();
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto session = std::make_shared<Session>(std::move(socket), *this);
    Register(session);
    session->Start();
    Accept();
  });
}

void HttpServer::Impl::Register(const std::shared_ptr<Session>& s) {
  std::lock_guard<std::mutex> lock(mu);
  sessions[s.get()] = s;
}

void HttpServer::Impl::Unregister(Session* s) {
  std::lock_guard<std::mutex> lock(mu);
  sessions.erase(s);
}

std::vector<std::shared_ptr<Session>> HttpServer::Impl::Sessions() {
  std::lock_guard<std::mutex> lock(mu);
  std::vector<std::shared_ptr<Session>> out;
  for (auto& [ptr, weak] : sessions)
    if (auto s = weak.lock()) out.push_back(std::move(s));
  return out;
}

void HttpServer::Impl::BeginStop(std::chrono::milliseconds drain) {
  if (stopping.exchange(true)) return;
  beast::error_code ec;
  acceptor.close(ec);
  drain_deadline = Clock::now() + drain;
  for (auto& s : Sessions()) s->Post([s] { s->CloseIfIdle(); });
  CheckDrained();
}

void HttpServer::Impl::CheckDrained() {
  if (in_flight.load() > 0 && Clock::now() < drain_deadline) {
    drain_timer.expires_after(std::chrono::milliseconds(20));
    drain_timer.async_wait([this](beast::error_code ec) {
      if (!ec) CheckDrained();
    });
    return;
  }
  // Closing lets every session's pending operations finish with errors; once they have,
  // the io_context runs out of work and Run() returns.
  for (auto& s : Sessions()) s->Post([s] { s->Close(); });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() = default;

Result<std::unique_ptr<HttpServer>> HttpServer::Create(const HttpServerOptions& options, HttpHandler handler) {
  auto impl = std::make_unique<Impl>(options, std::move(handler));
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options.host, ec);
  if (ec) return InvalidArgument("--host '{}' is not an IP address: {}", options.host, ec.message());
  if (options.port < 0 || options.port > 65535) return InvalidArgument("--port {} is outside [0, 65535]", options.port);
  const tcp::endpoint endpoint(address, static_cast<uint16_t>(options.port));
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status(StatusCode::kIoError, fmt::format("cannot listen on {}:{}: {}", options.host, options.port, ec.message()));
  impl->Accept();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

int HttpServer::port() const {
  beast::error_code ec;
  const tcp::endpoint e = impl_->acceptor.local_endpoint(ec);
  return ec ? impl_->options.port : e.port();
}

void HttpServer::Run() {
  std::vector<std::thread> threads;
  for (int i = 1; i < impl_->options.num_threads; ++i) threads.emplace_back([this] { impl_->ioc.run(); });
  impl_->ioc.run();
  for (auto& t : threads) t.join();
}

void HttpServer::Stop(std::chrono::milliseconds drain) {
  net::post(impl_->ioc, [impl = impl_.get(), drain] { impl->BeginStop(drain); });
}

int HttpServer::num_in_flight() const { return impl_->in_flight.load(); }

}  // namespace sgl::server
