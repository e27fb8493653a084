// Shared-prefix serving workload through the Engine, radix cache on vs off in one run:
//  (1) `--requests` concurrent requests that share a `--prefix-len`-token system prompt,
//      each with its own short question;
//  (2) `--chats` multi-turn chats of `--turns` turns, each turn resending the whole
//      history plus a new user message (as chat clients do).
// Reports prompt tokens served from the cache (against the best achievable: everything
// but what was never seen before), throughput and mean time to first token.
// Usage: bench_shared_prefix [--model PATH] [--threads N] [--requests N] [--prefix-len N]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "sgl/engine.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Workload {
  std::vector<std::vector<std::vector<int32_t>>> sessions;  // per client, its prompts in order
  int64_t best_cached = 0;  // tokens a perfect cache could reuse
};

struct Totals {
  int64_t prompt_tokens = 0, output_tokens = 0;
  double seconds = 0, ttft_sum = 0;
  int requests = 0;
};

std::vector<int32_t> RandomTokens(std::mt19937& rng, int n, int vocab) {
  std::vector<int32_t> t(n);
  for (auto& x : t) x = static_cast<int32_t>(rng() % static_cast<unsigned>(vocab));
  return t;
}

Workload SharedSystemPrompt(int requests, int prefix_len, int question_len, int vocab) {
  std::mt19937 rng(7);
  Workload w;
  const auto system = RandomTokens(rng, prefix_len, vocab);
  for (int i = 0; i < requests; ++i) {
    auto prompt = system;
    const auto q = RandomTokens(rng, question_len, vocab);
    prompt.insert(prompt.end(), q.begin(), q.end());
    w.sessions.push_back({prompt});
  }
  w.best_cached = static_cast<int64_t>(requests - 1) * prefix_len;
  return w;
}

// Turn k's prompt = turn k-1's prompt + a stand-in for its answer + the new message.
Workload MultiTurnChats(int chats, int turns, int message_len, int answer_len, int vocab) {
  std::mt19937 rng(11);
  Workload w;
  for (int c = 0; c < chats; ++c) {
    std::vector<std::vector<int32_t>> prompts;
    std::vector<int32_t> history;
    for (int t = 0; t < turns; ++t) {
      if (t > 0) {
        const auto answer = RandomTokens(rng, answer_len, vocab);
        history.insert(history.end(), answer.begin(), answer.end());
        w.best_cached += static_cast<int64_t>(history.size()) - answer_len;
      }
      const auto message = RandomTokens(rng, message_len, vocab);
      history.insert(history.end(), message.begin(), message.end());
      prompts.push_back(history);
    }
    w.sessions.push_back(std::move(prompts));
  }
  return w;
}

Totals Run(sgl::Engine& engine, const Workload& w, int max_new_tokens) {
  Totals totals;
  std::mutex mu;
  const auto start = Clock::now();
  std::vector<std::thread> clients;
  for (const auto& session : w.sessions) {
    clients.emplace_back([&, session] {
      for (const auto& prompt : session) {
        sgl::SamplingParams p;
        p.temperature = 0;
        p.ignore_eos = true;
        p.max_new_tokens = max_new_tokens;
        const auto t0 = Clock::now();
        Clock::time_point first;
        bool got_first = false;
        auto r = engine.Generate(prompt, p, [&](int32_t) {
          if (!got_first) first = Clock::now();
          got_first = true;
        });
        if (!r.ok()) {
          std::fprintf(stderr, "request failed: %s\n", r.status().message().c_str());
          continue;
        }
        std::lock_guard<std::mutex> lock(mu);
        totals.prompt_tokens += static_cast<int64_t>(prompt.size());
        totals.output_tokens += static_cast<int64_t>(r->output_ids.size());
        totals.ttft_sum += std::chrono::duration<double>(first - t0).count();
        ++totals.requests;
      }
    });
  }
  for (auto& c : clients) c.join();
  totals.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return totals;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
  int threads = 0, requests = 64, prefix_len = 1000, chats = 8, turns = 4, max_new = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* v = argv[i + 1];
    if (flag == "--model") model = v;
    else if (flag == "--threads") threads = std::atoi(v);
    else if (flag == "--requests") requests = std::atoi(v);
    else if (flag == "--prefix-len") prefix_len = std::atoi(v);
    else if (flag == "--chats") chats = std::atoi(v);
    else if (flag == "--turns") turns = std::atoi(v);
    else if (flag == "--max-new-tokens") max_new = std::atoi(v);
    else { std::fprintf(stderr, "unknown flag %s\n", flag.c_str()); return 2; }
  }
  std::printf("| workload | radix cache | requests | prompt tok | cached tok (best) | tok/s (prompt+output) | mean TTFT s |\n");
  std::printf("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
  for (bool disable : {false, true}) {
    sgl::EngineOptions o;
    o.device = "cpu";
    o.model_path = model;
    o.num_threads = threads;
    o.max_total_tokens = 32768;
    o.disable_radix_cache = disable;
    auto engine = sgl::Engine::Create(o);
    if (!engine.ok()) {
      std::fprintf(stderr, "%s\n", engine.status().message().c_str());
      return 1;
    }
    const int vocab = static_cast<int>((*engine)->Info().vocab_size);
    const Workload workloads[] = {SharedSystemPrompt(requests, prefix_len, 24, vocab),
                                  MultiTurnChats(chats, turns, 64, 48, vocab)};
    const char* names[] = {"shared system prompt", "multi-turn chats"};
    for (int k = 0; k < 2; ++k) {
      const int64_t cached_before = (*engine)->Stats().cached_prompt_tokens;
      const Totals t = Run(**engine, workloads[k], max_new);
      const int64_t cached = (*engine)->Stats().cached_prompt_tokens - cached_before;
      std::printf("| %s | %s | %d | %lld | %lld (%lld) | %.1f | %.3f |\n", names[k], disable ? "off" : "on", t.requests,
                  static_cast<long long>(t.prompt_tokens), static_cast<long long>(cached),
                  static_cast<long long>(workloads[k].best_cached),
                  (t.prompt_tokens + t.output_tokens) / t.seconds, t.ttft_sum / t.requests);
    }
  }
  return 0;
}
