// `sgl bench serving`: a load generator for a running server, in the spirit of SGLang's
// bench_serving. Sends --num-prompts /generate requests (random or chat-like synthetic
// prompts), as a Poisson process at --request-rate or as fast as --max-concurrency
// allows, streamed by default, and reports request and token throughput and TTFT /
// inter-token / end-to-end latency percentiles. Then measures the server's own overhead
// per request without the model: an empty HTTP exchange, tokenizing a prompt,
// detokenizing an answer.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <random>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "http_load_client.h"

namespace sgl::cli {
namespace {

struct ServingFlags {
  std::string host = "127.0.0.1";
  int port = 30000;
  std::string dataset = "random";
  int num_prompts = 1000;
  int input_len = 1024;
  int output_len = 1024;
  double range_ratio = 0.0;
  double request_rate = std::numeric_limits<double>::infinity();
  int max_concurrency = 0;
  uint64_t seed = 1;
  bool disable_stream = false;
  bool disable_ignore_eos = false;
  std::string output_file;
  int request_timeout = 3600;
};

// Common short English words: each is about one token for BPE vocabularies.
constexpr const char* kWords[] = {
    "the", "of", "and", "to", "in", "is", "you", "that", "it", "he", "was", "for", "on", "are", "as", "with", "his",
    "they", "at", "be", "this", "have", "from", "or", "one", "had", "by", "word", "but", "not", "what", "all", "were",
    "we", "when", "your", "can", "said", "there", "use", "an", "each", "which", "she", "do", "how", "their", "if",
    "will", "up", "other", "about", "out", "many", "then", "them", "these", "so", "some", "her", "would", "make",
    "like", "him", "into", "time", "has", "look", "two", "more", "write", "go", "see", "number", "no", "way", "could",
    "people", "my", "than", "first", "water", "been", "call", "who", "oil", "its", "now", "find", "long", "down",
    "day", "did", "get", "come", "made", "may", "part", "new", "work", "place", "year", "live", "back", "give",
    "most", "very", "after", "thing", "our", "just", "name", "good", "man", "think", "say", "great", "where", "help",
    "through", "much", "before", "line", "right", "too", "mean", "old", "any", "same", "tell", "boy", "follow",
    "came", "want", "show", "also", "around", "form", "three", "small", "set", "put", "end", "does", "another",
    "well", "large", "must", "big", "even", "such", "because", "turn", "here", "why", "ask", "went", "men", "read",
    "need", "land", "different", "home", "us", "move", "try", "kind", "hand", "picture", "again", "change", "off",
    "play", "spell", "air", "away", "animal", "house", "point", "page", "letter", "mother", "answer", "found",
    "study", "still", "learn", "should", "world", "high", "every", "near", "add", "food", "between", "own", "below"};

std::string RandomWords(std::mt19937_64& rng, int n) {
  std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
  std::string text;
  for (int i = 0; i < n; ++i) {
    if (i > 0) text += ' ';
    text += kWords[pick(rng)];
  }
  return text;
}

int RandomLength(std::mt19937_64& rng, int len, double ratio) {
  const int low = std::max(1, static_cast<int>(len * ratio));
  return std::uniform_int_distribution<int>(std::min(low, len), std::max(len, 1))(rng);
}

// "random": prompts of random words. "chat": one shared system prompt (as chat services
// have) then a user turn, in the model-neutral shape "System: ...\nUser: ...\nAssistant:".
std::vector<LoadRequest> MakeRequests(const ServingFlags& f, std::vector<std::string>& prompts) {
  std::mt19937_64 rng(f.seed);
  const std::string system = "System: " + RandomWords(rng, std::max(1, f.input_len / 2)) + "\n";
  std::exponential_distribution<double> gap(std::isinf(f.request_rate) ? 1.0 : f.request_rate);
  std::vector<LoadRequest> requests;
  double arrival = 0;
  for (int i = 0; i < f.num_prompts; ++i) {
    const int in = RandomLength(rng, f.input_len, f.range_ratio);
    const int out = RandomLength(rng, f.output_len, f.range_ratio);
    std::string text = f.dataset == "chat" ? system + "User: " + RandomWords(rng, std::max(1, in / 2)) + "\nAssistant:"
                                           : RandomWords(rng, in);
    nlohmann::json body = {{"text", text},
                           {"stream", !f.disable_stream},
                           {"sampling_params", {{"max_new_tokens", out}, {"temperature", 0.0}, {"ignore_eos", !f.disable_ignore_eos}}}};
    requests.push_back({"/generate", body.dump(), arrival});
    prompts.push_back(std::move(text));
    if (!std::isinf(f.request_rate)) arrival += gap(rng);
  }
  return requests;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double rank = p / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(rank);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

nlohmann::json Distribution(const std::vector<double>& seconds) {
  return {{"mean_ms", Mean(seconds) * 1e3},
          {"p50_ms", Percentile(seconds, 50) * 1e3},
          {"p90_ms", Percentile(seconds, 90) * 1e3},
          {"p99_ms", Percentile(seconds, 99) * 1e3}};
}

void PrintDistribution(const char* name, const nlohmann::json& d) {
  std::printf("%-28s mean %9.2f  p50 %9.2f  p90 %9.2f  p99 %9.2f\n", name, d["mean_ms"].get<double>(),
              d["p50_ms"].get<double>(), d["p90_ms"].get<double>(), d["p99_ms"].get<double>());
}

nlohmann::json Summarize(const LoadRun& run) {
  std::vector<double> ttft, itl, e2e;
  int64_t ok = 0, input = 0, output = 0;
  std::string first_error;
  for (const LoadResult& r : run.results) {
    if (!r.ok) {
      if (first_error.empty()) first_error = r.error;
      continue;
    }
    ++ok;
    input += r.prompt_tokens;
    output += r.completion_tokens;
    ttft.push_back(r.ttft);
    e2e.push_back(r.e2e);
    itl.insert(itl.end(), r.itl.begin(), r.itl.end());
  }
  const double d = std::max(run.duration, 1e-9);
  return {{"completed", ok},
          {"failed", static_cast<int64_t>(run.results.size()) - ok},
          {"first_error", first_error},
          {"duration_s", run.duration},
          {"peak_concurrency", run.peak_concurrency},
          {"total_input_tokens", input},
          {"total_output_tokens", output},
          {"request_throughput", ok / d},
          {"input_throughput", input / d},
          {"output_throughput", output / d},
          {"ttft", Distribution(ttft)},
          {"itl", Distribution(itl)},
          {"e2e", Distribution(e2e)}};
}

// Per-request server work without the model, one request at a time.
nlohmann::json MeasureOverhead(const ServingFlags& f, const std::vector<std::string>& prompts) {
  const int n = std::min<int>(200, static_cast<int>(prompts.size()));
  std::mt19937_64 rng(f.seed + 1);
  std::vector<LoadRequest> empty, tokenize, detokenize;
  std::uniform_int_distribution<int> id(100, 20000);
  for (int i = 0; i < n; ++i) {
    empty.push_back({"/v1/tokenize", R"({"prompt": ""})"});
    tokenize.push_back({"/v1/tokenize", nlohmann::json{{"prompt", prompts[i]}}.dump()});
    nlohmann::json ids = nlohmann::json::array();
    for (int k = 0; k < f.output_len; ++k) ids.push_back(id(rng));
    detokenize.push_back({"/v1/detokenize", nlohmann::json{{"tokens", ids}}.dump()});
  }
  auto e2e = [&](const std::vector<LoadRequest>& requests) {
    std::vector<double> v;
    for (const LoadResult& r : RunLoad(f.host, f.port, requests, 1).results)
      if (r.ok) v.push_back(r.e2e);
    return Distribution(v);
  };
  return {{"http_round_trip", e2e(empty)}, {"tokenize_prompt", e2e(tokenize)}, {"detokenize_output", e2e(detokenize)}};
}

int RunServing(const ServingFlags& f) {
  std::vector<std::string> prompts;
  const std::vector<LoadRequest> requests = MakeRequests(f, prompts);
  std::printf("bench serving: %d %s prompts (input ~%d, output ~%d tokens, range ratio %.2f) to %s:%d, request rate %s, "
              "max concurrency %s, %s\n",
              f.num_prompts, f.dataset.c_str(), f.input_len, f.output_len, f.range_ratio, f.host.c_str(), f.port,
              std::isinf(f.request_rate) ? "inf" : fmt::format("{}", f.request_rate).c_str(),
              f.max_concurrency > 0 ? std::to_string(f.max_concurrency).c_str() : "unlimited",
              f.disable_stream ? "not streamed" : "streamed");
  std::fflush(stdout);
  const LoadRun run = RunLoad(f.host, f.port, requests, f.max_concurrency, std::chrono::seconds(f.request_timeout));
  nlohmann::json report = Summarize(run);
  report["overhead"] = MeasureOverhead(f, prompts);
  std::printf("============ Serving Benchmark Result ============\n");
  std::printf("Successful requests:          %lld\n", static_cast<long long>(report["completed"].get<int64_t>()));
  std::printf("Failed requests:              %lld\n", static_cast<long long>(report["failed"].get<int64_t>()));
  if (report["failed"].get<int64_t>() > 0) std::printf("First error:                  %s\n", report["first_error"].get<std::string>().c_str());
  std::printf("Peak concurrency:             %d\n", run.peak_concurrency);
  std::printf("Benchmark duration (s):       %.2f\n", run.duration);
  std::printf("Total input tokens:           %lld\n", static_cast<long long>(report["total_input_tokens"].get<int64_t>()));
  std::printf("Total output tokens:          %lld\n", static_cast<long long>(report["total_output_tokens"].get<int64_t>()));
  std::printf("Request throughput (req/s):   %.2f\n", report["request_throughput"].get<double>());
  std::printf("Input token throughput (tok/s):  %.2f\n", report["input_throughput"].get<double>());
  std::printf("Output token throughput (tok/s): %.2f\n", report["output_throughput"].get<double>());
  std::printf("------------------ latency (ms) ------------------\n");
  PrintDistribution("Time to first token", report["ttft"]);
  PrintDistribution("Inter-token latency", report["itl"]);
  PrintDistribution("End-to-end latency", report["e2e"]);
  std::printf("------- server overhead per request (ms) ----------\n");
  PrintDistribution("HTTP round trip (empty)", report["overhead"]["http_round_trip"]);
  PrintDistribution("HTTP + tokenize prompt", report["overhead"]["tokenize_prompt"]);
  PrintDistribution("HTTP + detokenize output", report["overhead"]["detokenize_output"]);
  std::printf("==================================================\n");
  if (!f.output_file.empty()) std::ofstream(f.output_file) << report.dump(2) << "\n";
  return report["failed"].get<int64_t>() == 0 ? 0 : 1;
}

}  // namespace

void AddBenchServingCommand(CLI::App& bench, int* exit_code) {
  auto f = std::make_shared<ServingFlags>();
  CLI::App* cmd = bench.add_subcommand("serving", "Load-test a running `sgl serve` (like SGLang's bench_serving)");
  cmd->add_option("--host", f->host, "Server address")->capture_default_str();
  cmd->add_option("--port", f->port, "Server port")->capture_default_str()->check(CLI::Range(1, 65535));
  cmd->add_option("--dataset-name", f->dataset, "random or chat")->capture_default_str()->check(CLI::IsMember({"random", "chat"}));
  cmd->add_option("--num-prompts", f->num_prompts, "Requests to send")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--random-input-len", f->input_len, "Prompt length in words (~tokens)")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--random-output-len", f->output_len, "max_new_tokens")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--random-range-ratio", f->range_ratio, "Lengths are uniform in [ratio x len, len]")->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--request-rate", f->request_rate, "Requests per second, Poisson arrivals (inf: all at once)")->capture_default_str();
  cmd->add_option("--max-concurrency", f->max_concurrency, "Requests in flight at most (0: no limit)")->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--seed", f->seed, "Random seed of the dataset and arrivals")->capture_default_str();
  cmd->add_flag("--disable-stream", f->disable_stream, "Ask for whole answers instead of streams");
  cmd->add_flag("--disable-ignore-eos", f->disable_ignore_eos, "Let requests stop at EOS");
  cmd->add_option("--output-file", f->output_file, "Also write the results as JSON here");
  cmd->add_option("--request-timeout", f->request_timeout, "Seconds before an unanswered request counts as failed")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->callback([f, exit_code] { *exit_code = RunServing(*f); });
}

}  // namespace sgl::cli
