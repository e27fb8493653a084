// libFuzzer target: any bytes as a regex must parse and compile to an automaton or fail
// with a Status (within the state limits), never crash or hang; an accepted pattern's
// automaton must then walk arbitrary bytes safely.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "constrain/grammar_automaton.h"
#include "constrain/pda_runner.h"
#include "constrain/regex_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  sgl::constrain::RegexLimits limits;
  limits.max_expanded_size = 20000;
  auto re = sgl::constrain::ParseRegex(text, limits);
  if (!re.ok()) return 0;
  sgl::constrain::Grammar g;
  g.root_rule = g.AddRule("root", re->expr);
  auto a = sgl::constrain::GrammarAutomaton::Build(g, {200000, 2000, 20000000});
  if (!a.ok()) return 0;
  sgl::constrain::StackPool pool;
  sgl::constrain::PdaRunner runner(*a, pool);
  sgl::constrain::StackSet cur = runner.Start(), next;
  for (char c : text) {
    runner.Advance(cur, static_cast<uint8_t>(c), next);
    std::swap(cur, next);
  }
  return 0;
}
