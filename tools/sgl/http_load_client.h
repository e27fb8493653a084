// HttpLoadClient: sends many HTTP POST requests to one server from a single thread (Asio),
// each on its own connection, starting each at its arrival time with at most
// `max_concurrency` in flight, and times them as a user would see them: time to the first
// streamed token, gaps between tokens, end to end. Understands SGLang's /generate
// answers (a JSON body, or server-sent events whose meta_info.completion_tokens grows).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace sgl::cli {

struct LoadRequest {
  std::string target;  // e.g. "/generate"
  std::string body;    // JSON
  double arrival = 0;  // seconds after the start
};

struct LoadResult {
  bool ok = false;
  std::string error;
  double start = 0;  // seconds after the run's start
  double ttft = 0;   // first token (the whole answer when not streamed)
  double e2e = 0;
  std::vector<double> itl;  // seconds per token between streamed chunks
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

struct LoadRun {
  std::vector<LoadResult> results;  // in request order
  double duration = 0;              // first start to last finish, seconds
  int peak_concurrency = 0;
};

// max_concurrency <= 0: unlimited. A request not answered within `timeout` fails.
LoadRun RunLoad(const std::string& host, int port, const std::vector<LoadRequest>& requests, int max_concurrency,
                std::chrono::seconds timeout = std::chrono::seconds(3600));

}  // namespace sgl::cli
