// A fork-heavy frontend-language program on the Engine backend, radix cache on vs off:
// `--programs` runs (in a batch of `--threads`) of a program that reads a long document,
// forks into `--branches` branches that each answer their own question about it, joins,
// and writes a conclusion from the answers. Reports prompt tokens, the share served from
// the prefix cache (the engine's counters and the gens' cached_tokens), and wall time.
// Usage: bench_lang_fork [--model PATH] [--threads N] [--programs N] [--branches N] [--tokens N]
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "sgl/lang.h"

namespace {

namespace lang = sgl::lang;
using Clock = std::chrono::steady_clock;

struct Config {
  std::string model = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
  int threads = 2, programs = 4, branches = 8, tokens = 16;
};

struct Measured {
  double seconds = 0;
  int64_t prompt_tokens = 0, cached_prompt_tokens = 0, gen_cached_tokens = 0;
  int failures = 0;
};

std::string Document(int i) {
  std::string d = "Report " + std::to_string(i) + ". ";
  for (int k = 0; k < 12; ++k)
    d += "In quarter " + std::to_string(k + 1) + " the team of project " + std::to_string(i) +
         " shipped features, fixed bugs, and met with customers about their needs. ";
  return d;
}

// `branch_cached` sums the branches' cached_tokens (programs run on several threads).
lang::Program<int> ForkProgram(const Config& c, std::atomic<int64_t>& branch_cached) {
  return lang::Program<int>([c, &branch_cached](lang::State& s, int i) {
    s += lang::system("You answer questions about reports.");
    s += lang::user(Document(i) + "\nAnswer the questions about this report.");
    lang::ForkGroup forks = s.fork(c.branches);
    forks += [&c](size_t b) {
      return lang::user("Question " + std::to_string(b + 1) + ": what happened in quarter " + std::to_string(b + 1) + "?") +
             lang::assistant(lang::gen("answer", {.max_tokens = c.tokens, .temperature = 0, .ignore_eos = true}));
    };
    forks.Join();
    s += lang::user("Summarize the answers.") +
         lang::assistant(lang::gen("summary", {.max_tokens = c.tokens, .temperature = 0, .ignore_eos = true}));
    for (size_t b = 0; b < forks.size(); ++b)
      if (auto m = forks[b].meta("answer")) branch_cached += m->cached_tokens;
  });
}

Measured Run(const Config& c, bool disable_radix_cache) {
  sgl::EngineOptions o;
  o.model_path = c.model;
  o.device = "cpu";
  o.num_threads = c.threads;
  o.max_total_tokens = 32768;
  o.disable_radix_cache = disable_radix_cache;
  auto engine = sgl::Engine::Create(o);
  Measured m;
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().message().c_str());
    m.failures = 1;
    return m;
  }
  lang::RunOptions options;
  options.backend = std::make_shared<lang::EngineBackend>(**engine);
  std::vector<std::tuple<int>> args;
  for (int i = 0; i < c.programs; ++i) args.emplace_back(i);
  const auto start = Clock::now();
  std::atomic<int64_t> branch_cached{0};
  std::vector<lang::State> states = ForkProgram(c, branch_cached).RunBatch(options, args, c.programs);
  m.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const sgl::EngineStats stats = (*engine)->Stats();
  m.prompt_tokens = stats.prompt_tokens;
  m.cached_prompt_tokens = stats.cached_prompt_tokens;
  for (const lang::State& s : states) {
    if (!s.ok()) {
      std::fprintf(stderr, "program failed: %s\n", s.status().message().c_str());
      ++m.failures;
    }
  }
  m.gen_cached_tokens = branch_cached;
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  Config c;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--model")) c.model = argv[i + 1];
    else if (!std::strcmp(argv[i], "--threads")) c.threads = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--programs")) c.programs = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--branches")) c.branches = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--tokens")) c.tokens = std::atoi(argv[i + 1]);
    else return std::fprintf(stderr, "unknown option %s\n", argv[i]), 2;
  }
  if (c.programs < 1 || c.branches < 1 || c.tokens < 1 || c.threads < 1) return std::fprintf(stderr, "bad sizes\n"), 2;
  std::printf("%d programs x %d branches x %d tokens, %d CPU threads\n", c.programs, c.branches, c.tokens, c.threads);
  std::printf("%-12s %10s %14s %8s %18s %9s\n", "radix cache", "prompt tok", "cached prompt", "share", "branch cached tok", "wall s");
  Measured on, off;
  for (bool disable : {false, true}) {
    const Measured m = Run(c, disable);
    if (m.failures) return 1;
    std::printf("%-12s %10lld %14lld %7.1f%% %18lld %9.2f\n", disable ? "off" : "on", (long long)m.prompt_tokens,
                (long long)m.cached_prompt_tokens, m.prompt_tokens ? 100.0 * m.cached_prompt_tokens / m.prompt_tokens : 0.0,
                (long long)m.gen_cached_tokens, m.seconds);
    (disable ? off : on) = m;
  }
  std::printf("wall time off/on: %.2fx\n", on.seconds > 0 ? off.seconds / on.seconds : 0.0);
  return 0;
}
