// `sgl bench`: offline speed of one model, measured like llama.cpp's llama-bench so the
// two can be compared: ppN = prefill of N random tokens from an empty cache (logits of the
// last token only); tgN = N decode steps of one token each, starting from a one-token
// context. Each test runs `--repetitions` times after one warm-up; mean and stddev of
// tokens/s are printed as a markdown table. With --json-schema FILE the decode test also
// runs with its output constrained by that schema, alternating with unconstrained runs
// (same prompt, same max tokens; the grammar may end it sooner), giving the per-token
// cost of the constraint in the real loop.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "sgl/engine.h"

namespace sgl::cli {
namespace {

struct BenchFlags {
  EngineOptions engine;
  int n_prompt = 512;
  int n_gen = 128;
  int repetitions = 5;
  std::string json_schema_path;  // when set: the decode test again, constrained by this schema
};

struct Measurement {
  double mean = 0, stddev = 0;
};

Measurement Summarize(const std::vector<double>& tps) {
  Measurement m;
  for (double v : tps) m.mean += v;
  m.mean /= static_cast<double>(tps.size());
  for (double v : tps) m.stddev += (v - m.mean) * (v - m.mean);
  m.stddev = tps.size() > 1 ? std::sqrt(m.stddev / static_cast<double>(tps.size() - 1)) : 0;
  return m;
}

// Runs `runs` timed repetitions (after one warm-up) and returns tokens/s of each.
Result<std::vector<double>> Repeat(Engine& engine, int runs, const std::vector<int32_t>& prompt, int max_new_tokens,
                                   bool decode, std::optional<std::string> json_schema = std::nullopt) {
  SamplingParams params;
  params.json_schema = std::move(json_schema);
  params.temperature = 0;
  params.ignore_eos = true;
  params.max_new_tokens = max_new_tokens;
  std::vector<double> tps;
  for (int r = -1; r < runs; ++r) {
    SGL_ASSIGN_OR_RETURN(GenerateResult result, engine.Generate(prompt, params, {}));
    const GenerateStats& s = result.stats;
    if (r < 0) continue;
    if (s.completion_tokens < 2) return InvalidArgument("the run produced {} tokens: too few to time decoding", s.completion_tokens);
    tps.push_back(decode ? (s.completion_tokens - 1) / s.decode_seconds : s.prompt_tokens / s.prefill_seconds);
  }
  return tps;
}

// The decode test with and without the JSON Schema, runs alternating so that load from
// elsewhere hits both alike; prints the median rate of each and their ratio.
int RunConstrained(Engine& engine, const BenchFlags& flags, const std::vector<int32_t>& prompt) {
  std::ifstream file(flags.json_schema_path);
  std::stringstream schema;
  schema << file.rdbuf();
  if (!file) {
    spdlog::error("cannot read {}", flags.json_schema_path);
    return 1;
  }
  const std::vector<int32_t> start = {prompt.empty() ? 1 : prompt[0]};
  std::vector<double> plain, constrained;
  for (int r = 0; r < flags.repetitions; ++r) {
    auto p = Repeat(engine, 1, start, flags.n_gen + 1, true);
    auto c = Repeat(engine, 1, start, flags.n_gen + 1, true, schema.str());
    if (!p.ok() || !c.ok()) {
      spdlog::error("{}", (p.ok() ? c.status() : p.status()).message());
      return 1;
    }
    plain.push_back(p->front());
    constrained.push_back(c->front());
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  std::printf("| tg%d (median of %d, alternating) | %.2f |\n| tg%d json_schema | %.2f |\n\nconstrained / unconstrained: %.3f\n",
              flags.n_gen, flags.repetitions, median(plain), flags.n_gen, median(constrained),
              median(constrained) / median(plain));
  return 0;
}

int Run(const BenchFlags& flags) {
  auto engine = Engine::Create(flags.engine);
  if (!engine.ok()) {
    spdlog::error("{}", engine.status().message());
    return 1;
  }
  const ModelInfo info = (*engine)->Info();
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> token(0, static_cast<int32_t>(info.vocab_size - 1));
  std::vector<int32_t> prompt(flags.n_prompt);
  for (int32_t& t : prompt) t = token(rng);

  std::printf("model: %s\n%s\nbackend: %s\n\n", info.path.c_str(), info.summary.c_str(), info.backend.c_str());
  std::printf("| test | t/s |\n| ---: | ---: |\n");
  if (flags.n_prompt > 0) {
    auto tps = Repeat(**engine, flags.repetitions, prompt, 1, /*decode=*/false);
    if (!tps.ok()) {
      spdlog::error("{}", tps.status().message());
      return 1;
    }
    const Measurement m = Summarize(*tps);
    std::printf("| pp%d | %.2f ± %.2f |\n", flags.n_prompt, m.mean, m.stddev);
  }
  if (flags.n_gen > 0) {
    auto tps = Repeat(**engine, flags.repetitions, {prompt.empty() ? 1 : prompt[0]}, flags.n_gen + 1, /*decode=*/true);
    if (!tps.ok()) {
      spdlog::error("{}", tps.status().message());
      return 1;
    }
    const Measurement m = Summarize(*tps);
    std::printf("| tg%d | %.2f ± %.2f |\n", flags.n_gen, m.mean, m.stddev);
    if (!flags.json_schema_path.empty()) return RunConstrained(**engine, flags, prompt);
  }
  return 0;
}

}  // namespace

void AddBenchCommand(CLI::App& root, int* exit_code) {
  auto flags = std::make_shared<BenchFlags>();
  flags->engine.model_path = DefaultModelPath();
  CLI::App* cmd = root.add_subcommand("bench", "Measure prefill (ppN) and decode (tgN) speed, like llama-bench");
  cmd->add_option("--model-path,--model,-m", flags->engine.model_path, "A .gguf file or a Hugging Face folder")
      ->capture_default_str();
  cmd->add_option("--n-prompt,-p", flags->n_prompt, "Prompt tokens for the prefill test")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--n-gen,-n", flags->n_gen, "Tokens for the decode test")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--json-schema", flags->json_schema_path,
                  "Also run the decode test constrained by the JSON Schema in this file");
  cmd->add_flag("--disable-overlap-schedule", flags->engine.disable_overlap_schedule,
                "Build each step only after the last one's results");
  cmd->add_flag("--disable-jump-forward", flags->engine.disable_jump_forward,
                "Sample every constrained token, even text the schema forces (isolates the mask's cost)");
  cmd->add_flag("--disable-grammar-budget", flags->engine.disable_grammar_budget,
                "Constrained masks ignore the tokens left (no steering to finish the schema in time)");
  cmd->add_option("--repetitions,-r", flags->repetitions, "Timed runs per test")->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads,-t", flags->engine.num_threads, "CPU threads (0 = all)")->capture_default_str();
  cmd->add_option("--device", flags->engine.device, "cpu, cuda, or auto (cuda when a GPU is visible)")->capture_default_str();
  AddTpSizeOption(*cmd, &flags->engine.tp_size);
  AddBenchServingCommand(*cmd, exit_code);
  AddBenchOfflineCommand(*cmd, exit_code);
  cmd->callback([cmd, flags, exit_code] {
    if (cmd->got_subcommand("serving") || cmd->got_subcommand("offline")) return;
    flags->engine.max_total_tokens = std::max(flags->n_prompt + 1, flags->n_gen + 2);
    // Like llama-bench: the whole prompt is one batch, and nothing is reused between runs.
    flags->engine.chunked_prefill_size = std::max(1, flags->n_prompt);
    flags->engine.disable_radix_cache = true;
    *exit_code = Run(*flags);
  });
}

}  // namespace sgl::cli
