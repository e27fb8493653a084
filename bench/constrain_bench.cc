// Constrained decoding cost on a JSON Schema corpus: per schema, the compile time (grammar +
// token masks, no cache) and, over `--walks` random generations, the time of every
// FillNextTokenBitmask call. A generation picks uniformly among allowed tokens, ends with
// EOS with probability 0.3 where allowed, and past `--soft-limit` tokens prefers closing
// tokens. The token sequences go to `--trace` (JSONL) so bench/xgrammar_bench.py replays
// exactly the same steps through xgrammar. Then, per schema, `--walks` generations under
// budgeted masks (FillBudgetedTokenBitmask) given only the grammar's shortest length +
// `--budget-slack` tokens: the masks near the end, where steering does its work, are
// timed, and every such generation must end within its budget.
// Usage: bench_constrain --tokenizer tokenizer.json --schemas DIR [--walks 2] [--trace out.jsonl]
//        [--budget-slack 16]
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "constrain/compiled_grammar.h"
#include "constrain/end_distances.h"
#include "closer_token.h"
#include "constrain/grammar_compiler.h"
#include "constrain/grammar_matcher.h"
#include "tokenizer/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kCapTokens = 256;  // the corpus run's max_new_tokens
namespace fs = std::filesystem;
using namespace sgl::constrain;

// CPU time of this thread: the dev machine is shared, so wall time overstates compiles.
double ThreadCpuMs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double Micros(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::micro>(b - a).count(); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p / 100.0 * v.size()))];
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}


// One generation under budgeted masks with the grammar's shortest length + `slack` tokens,
// uniform over the allowed content tokens (a stop token only when nothing else is left);
// each mask's time goes to `us`. Returns whether the grammar ended within the budget.
bool BudgetedWalk(const std::shared_ptr<const CompiledGrammar>& g, int slack, std::mt19937& rng,
                  std::vector<uint32_t>& mask, std::vector<double>& us) {
  GrammarMatcher m(g);
  const int64_t budget = m.MinBytesToEnd() + slack;
  const TokenVocabulary& vocab = g->vocab();
  for (int64_t used = 0; used < budget && !m.IsTerminated(); ++used) {
    auto a = Clock::now();
    m.FillBudgetedTokenBitmask(mask, budget - used);
    us.push_back(Micros(a, Clock::now()));
    std::vector<int32_t> ids, stops;
    for (int32_t id = 0; id < vocab.vocab_size(); ++id) {
      if ((mask[id >> 5] >> (id & 31)) & 1) (vocab.is_stop(id) ? stops : ids).push_back(id);
    }
    if (ids.empty() && stops.empty()) return false;
    const std::vector<int32_t>& pick = ids.empty() ? stops : ids;
    if (!m.AcceptToken(pick[std::uniform_int_distribution<size_t>(0, pick.size() - 1)(rng)])) return false;
  }
  return m.IsTerminated();
}

}  // namespace

int main(int argc, char** argv) {
  std::string tokenizer_path = "build/tokenizer_fixtures/smollm2.tokenizer.json", schemas = "tests/fixtures/json_schemas";
  std::string trace_path;
  int walks = 2, soft_limit = 150, hard_limit = 600, budget_slack = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    if (k == "--tokenizer") tokenizer_path = argv[i + 1];
    else if (k == "--schemas") schemas = argv[i + 1];
    else if (k == "--walks") walks = std::atoi(argv[i + 1]);
    else if (k == "--trace") trace_path = argv[i + 1];
    else if (k == "--soft-limit") soft_limit = std::atoi(argv[i + 1]);
    else if (k == "--budget-slack") budget_slack = std::atoi(argv[i + 1]);
    else { std::fprintf(stderr, "unknown flag %s\n", k.c_str()); return 2; }
  }
  auto tok = sgl::Tokenizer::FromTokenizerJson(tokenizer_path);
  if (!tok.ok()) { std::fprintf(stderr, "%s\n", tok.status().message().c_str()); return 1; }
  int32_t n = static_cast<int32_t>((*tok)->vocab_size());
  std::vector<std::string> bytes(n);
  std::vector<int32_t> special;
  for (int32_t id = 0; id < n; ++id) {
    bytes[id] = (*tok)->TokenBytes(id);
    if ((*tok)->IsSpecial(id)) special.push_back(id);
  }
  std::vector<int32_t> stop = (*tok)->Encode("<|im_end|>", false);
  auto vocab = std::make_shared<const TokenVocabulary>(std::move(bytes), stop, special);

  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(schemas)) {
    if (e.path().extension() == ".json") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::ofstream trace;
  if (!trace_path.empty()) trace.open(trace_path);
  std::vector<double> compile_ms, compile_cpu_ms, distances_cpu_ms, mask_us, budgeted_us, capped_us;
  int compiled = 0, complete = 0, incomplete = 0, budgeted_complete = 0, budgeted_cut = 0;
  std::vector<uint32_t> mask((n + 31) / 32);
  for (const fs::path& f : files) {
    GrammarSpec spec{GrammarKind::kJsonSchema, ReadFile(f), {}};
    double cpu0 = ThreadCpuMs();
    auto t0 = Clock::now();
    auto grammar = BuildGrammar(spec);
    sgl::Result<std::shared_ptr<const CompiledGrammar>> g = grammar.ok() ? CompiledGrammar::Compile(*grammar, vocab)
                                                                     : sgl::Result<std::shared_ptr<const CompiledGrammar>>(grammar.status());
    auto t1 = Clock::now();
    compile_cpu_ms.push_back(ThreadCpuMs() - cpu0);
    if (!g.ok()) {
      std::fprintf(stderr, "%s: %s\n", f.filename().c_str(), g.status().message().c_str());
      continue;
    }
    ++compiled;
    compile_ms.push_back(Micros(t0, t1) / 1000);
    // The budget's share of the compile (EndDistances, done once more to time it alone).
    const double distances_cpu0 = ThreadCpuMs();
    (void)EndDistances::Compute((*g)->automaton(), vocab->single_byte_tokens());
    distances_cpu_ms.push_back(ThreadCpuMs() - distances_cpu0);
    if (std::getenv("SGL_BENCH_VERBOSE")) {
      int ready = 0;
      size_t uncertain = 0;
      for (int32_t s = 0; s < (*g)->automaton().num_states(); ++s) {
        ready += !(*g)->automaton().allowed_bytes(s).Empty();
        uncertain += (*g)->state_mask(s).uncertain_ids.size();
      }
      std::fprintf(stderr, "%s: %.1f ms, %d states (%d read bytes), %zu uncertain, %lld mask bytes\n", f.filename().c_str(),
                   compile_ms.back(), (*g)->automaton().num_states(), ready, uncertain, static_cast<long long>((*g)->mask_bytes()));
    }
    std::mt19937 rng(static_cast<uint32_t>(std::hash<std::string>()(f.filename().string())));
    for (int w = 0; w < walks; ++w) {
      GrammarMatcher m(*g);
      std::vector<int32_t> ids_taken;
      bool done = false;
      std::string text;
      for (int step = 0; step < hard_limit && !done; ++step) {
        // The same step's mask budgeted as if max_new_tokens were kCapTokens (timed only;
        // the walk follows the plain mask, filled last).
        auto a = Clock::now();
        m.FillBudgetedTokenBitmask(mask, kCapTokens - step);
        capped_us.push_back(Micros(a, Clock::now()));
        a = Clock::now();
        m.FillNextTokenBitmask(mask);
        auto b = Clock::now();
        mask_us.push_back(Micros(a, b));
        std::vector<int32_t> ids;
        for (int32_t id = 0; id < n; ++id) {
          if (((mask[id >> 5] >> (id & 31)) & 1) && !vocab->is_stop(id)) ids.push_back(id);
        }
        int32_t id;
        if (m.CanEnd() && (ids.empty() || step >= soft_limit || std::uniform_real_distribution<>(0, 1)(rng) < 0.3)) {
          id = stop[0];
          done = true;
        } else if (ids.empty()) {
          break;
        } else {
          id = ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)];
          if (step >= soft_limit) id = testing::Closer(*vocab, ids, text, id);
          text += vocab->token_bytes(id);
        }
        if (!m.AcceptToken(id)) { std::fprintf(stderr, "BUG: masked token refused\n"); return 1; }
        ids_taken.push_back(id);
      }
      if (done) ++complete; else { ++incomplete; std::fprintf(stderr, "incomplete %s: %s ... %s\n", f.filename().c_str(), text.substr(0, 200).c_str(), text.substr(text.size() > 100 ? text.size() - 100 : 0).c_str()); }
      if (trace.is_open()) trace << nlohmann::json{{"schema", f.string()}, {"tokens", ids_taken}}.dump() << "\n";
    }
    for (int w = 0; w < walks; ++w) {
      if (BudgetedWalk(*g, budget_slack, rng, mask, budgeted_us)) {
        ++budgeted_complete;
      } else {
        ++budgeted_cut;
        std::fprintf(stderr, "budgeted walk cut: %s\n", f.filename().c_str());
      }
    }
  }
  double total_ms = 0;
  for (double c : compile_ms) total_ms += c;
  std::printf("schemas %zu compiled %d; generations complete %d incomplete %d\n", files.size(), compiled, complete, incomplete);
  std::printf("compile ms: mean %.2f p50 %.2f p99 %.2f max %.2f\n", total_ms / std::max<size_t>(1, compile_ms.size()),
              Percentile(compile_ms, 50), Percentile(compile_ms, 99), Percentile(compile_ms, 100));
  std::printf("compile cpu ms: p50 %.2f p99 %.2f\n", Percentile(compile_cpu_ms, 50), Percentile(compile_cpu_ms, 99));
  double total_cpu = 0, total_distances = 0;
  for (double c : compile_cpu_ms) total_cpu += c;
  for (double c : distances_cpu_ms) total_distances += c;
  std::printf("of which end distances (budget) cpu ms: p50 %.2f p99 %.2f max %.2f; %.1f%% of all compile cpu\n",
              Percentile(distances_cpu_ms, 50), Percentile(distances_cpu_ms, 99), Percentile(distances_cpu_ms, 100),
              100 * total_distances / std::max(total_cpu, 1e-9));
  std::printf("mask us over %zu steps: p50 %.2f p99 %.2f max %.2f\n", mask_us.size(), Percentile(mask_us, 50),
              Percentile(mask_us, 99), Percentile(mask_us, 100));
  std::printf("same steps budgeted at max_new_tokens %d: mask us p50 %.2f p99 %.2f max %.2f\n", kCapTokens,
              Percentile(capped_us, 50), Percentile(capped_us, 99), Percentile(capped_us, 100));
  std::printf("budgeted (shortest + %d tokens) generations ended %d cut %d; mask us over %zu steps: p50 %.2f p99 %.2f max %.2f\n",
              budget_slack, budgeted_complete, budgeted_cut, budgeted_us.size(), Percentile(budgeted_us, 50),
              Percentile(budgeted_us, 99), Percentile(budgeted_us, 100));
  return 0;
}
