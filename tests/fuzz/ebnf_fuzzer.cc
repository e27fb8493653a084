// libFuzzer target: any bytes as a GBNF grammar must parse and compile to an automaton or
// fail with a Status (left recursion, limits, ...), never crash or hang; an accepted
// grammar must then walk arbitrary bytes safely.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "constrain/ebnf_parser.h"
#include "constrain/grammar_automaton.h"
#include "constrain/pda_runner.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto g = sgl::constrain::ParseEbnf(text);
  if (!g.ok()) return 0;
  auto a = sgl::constrain::GrammarAutomaton::Build(*g, {200000, 4000, 20000000});
  if (!a.ok()) return 0;
  sgl::constrain::StackPool pool;
  sgl::constrain::PdaRunner runner(*a, pool);
  sgl::constrain::StackSet cur = runner.Start(), next;
  for (char c : text) {
    runner.Advance(cur, static_cast<uint8_t>(c), next);
    std::swap(cur, next);
    if (pool.size() > 100000) break;  // a grammar can legitimately nest deeply
  }
  return 0;
}
