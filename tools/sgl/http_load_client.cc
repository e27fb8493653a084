#include "http_load_client.h"

#include <chrono>
#include <functional>
#include <limits>
#include <utility>
#include <memory>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sgl::cli {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

class Runner;

// One request on its own connection.
class Call : public std::enable_shared_from_this<Call> {
 public:
  Call(Runner& runner, size_t index);
  void Start();

 private:
  void Fail(const std::string& what, beast::error_code ec = {});
  void OnResponse(beast::error_code ec);
  size_t OnChunk(std::string_view data);
  void OnEvent(std::string_view data);
  void CountTokens(const nlohmann::json& answer);
  void Done();

  Runner& runner_;
  size_t index_;
  LoadResult& result_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response_parser<http::string_body> parser_;
  std::function<size_t(uint64_t, beast::string_view, beast::error_code&)> on_chunk_;
  std::string pending_;  // SSE bytes not yet split into events
  double last_token_time_ = 0;
  int64_t tokens_seen_ = 0;
  bool finished_ = false;
};

class Runner {
 public:
  Runner(const std::string& host, int port, const std::vector<LoadRequest>& requests, int max_concurrency,
         std::chrono::seconds timeout)
      : endpoint_(net::ip::make_address(host), static_cast<uint16_t>(port)), requests_(requests),
        max_concurrency_(max_concurrency), timeout_(timeout), timer_(ioc_) {
    run_.results.resize(requests.size());
  }

  LoadRun Run() {
    start_ = Clock::now();
    Pump();
    ioc_.run();
    run_.duration = Now();
    return std::move(run_);
  }

  double Now() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  net::io_context& ioc() { return ioc_; }
  const tcp::endpoint& endpoint() const { return endpoint_; }
  const LoadRequest& request(size_t i) const { return requests_[i]; }
  LoadResult& result(size_t i) { return run_.results[i]; }
  std::chrono::seconds timeout() const { return timeout_; }

  void OnFinished() {
    --in_flight_;
    Pump();
  }

 private:
  // Starts every request that is due and has room; sleeps until the next one is due.
  void Pump() {
    while (next_ < requests_.size() && (max_concurrency_ <= 0 || in_flight_ < max_concurrency_)) {
      const double wait = requests_[next_].arrival - Now();
      if (wait > 0) {
        timer_.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(wait)));
        timer_.async_wait([this](beast::error_code ec) {
          if (!ec) Pump();
        });
        return;
      }
      ++in_flight_;
      run_.peak_concurrency = std::max(run_.peak_concurrency, in_flight_);
      std::make_shared<Call>(*this, next_++)->Start();
    }
  }

  net::io_context ioc_;
  tcp::endpoint endpoint_;
  const std::vector<LoadRequest>& requests_;
  int max_concurrency_;
  std::chrono::seconds timeout_;
  net::steady_timer timer_;
  Clock::time_point start_;
  LoadRun run_;
  size_t next_ = 0;
  int in_flight_ = 0;
};

Call::Call(Runner& runner, size_t index)
    : runner_(runner), index_(index), result_(runner.result(index)), stream_(runner.ioc()) {}

void Call::Start() {
  const LoadRequest& r = runner_.request(index_);
  result_.start = runner_.Now();
  request_ = http::request<http::string_body>(http::verb::post, r.target, 11);
  request_.set(http::field::host, "localhost");
  request_.set(http::field::content_type, "application/json");
  request_.body() = r.body;
  request_.prepare_payload();
  parser_.body_limit(std::numeric_limits<std::uint64_t>::max());  // boost::none means "exceeded" in Boost 1.74
  on_chunk_ = [this](uint64_t, beast::string_view data, beast::error_code&) { return OnChunk({data.data(), data.size()}); };
  parser_.on_chunk_body(on_chunk_);
  stream_.expires_after(runner_.timeout());  // connect, write and read together
  stream_.async_connect(runner_.endpoint(), [self = shared_from_this()](beast::error_code ec) {
    if (ec) return self->Fail("connect", ec);
    http::async_write(self->stream_, self->request_, [self](beast::error_code ec, size_t) {
      if (ec) return self->Fail("write", ec);
      http::async_read(self->stream_, self->buffer_, self->parser_,
                       [self](beast::error_code ec, size_t) { self->OnResponse(ec); });
    });
  });
}

void Call::Fail(const std::string& what, beast::error_code ec) {
  result_.ok = false;
  result_.error = ec ? what + ": " + ec.message() : what;
  Done();
}

size_t Call::OnChunk(std::string_view data) {
  pending_.append(data);
  size_t end;
  while ((end = pending_.find("\n\n")) != std::string::npos) {
    const std::string event = pending_.substr(0, end);
    pending_.erase(0, end + 2);
    if (event.rfind("data: ", 0) == 0) OnEvent(std::string_view(event).substr(6));
  }
  return data.size();
}

void Call::OnEvent(std::string_view data) {
  if (data == "[DONE]") return;
  const nlohmann::json event = nlohmann::json::parse(data, nullptr, false);
  if (event.is_discarded() || !event.is_object()) return;
  if (event.contains("error")) {
    result_.error = event["error"].dump();
    return;
  }
  const double now = runner_.Now() - result_.start;
  CountTokens(event);
  if (result_.completion_tokens > tokens_seen_) {
    if (tokens_seen_ == 0) result_.ttft = now;
    else result_.itl.push_back((now - last_token_time_) / static_cast<double>(result_.completion_tokens - tokens_seen_));
    tokens_seen_ = result_.completion_tokens;
    last_token_time_ = now;
  }
}

void Call::CountTokens(const nlohmann::json& answer) {
  if (!answer.contains("meta_info") || !answer["meta_info"].is_object()) return;
  const nlohmann::json& meta = answer["meta_info"];
  result_.prompt_tokens = meta.value("prompt_tokens", int64_t{0});
  result_.completion_tokens = meta.value("completion_tokens", int64_t{0});
}

void Call::OnResponse(beast::error_code ec) {
  if (ec) return Fail("read", ec);
  const auto& response = parser_.get();
  result_.e2e = runner_.Now() - result_.start;
  if (response.result_int() != 200) return Fail(fmt::format("HTTP {}: {}", response.result_int(), response.body()));
  if (!response.chunked()) {  // a plain JSON answer
    const nlohmann::json answer = nlohmann::json::parse(response.body(), nullptr, false);
    if (answer.is_discarded()) return Fail("the answer is not JSON");
    CountTokens(answer);
    result_.ttft = result_.e2e;
  }
  result_.ok = result_.error.empty();
  Done();
}

void Call::Done() {
  if (finished_) return;
  finished_ = true;
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
  runner_.OnFinished();
}

}  // namespace

LoadRun RunLoad(const std::string& host, int port, const std::vector<LoadRequest>& requests, int max_concurrency,
                std::chrono::seconds timeout) {
  Runner runner(host, port, requests, max_concurrency, timeout);
  return runner.Run();
}

}  // namespace sgl::cli
