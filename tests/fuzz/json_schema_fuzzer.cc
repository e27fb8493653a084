// libFuzzer target: any bytes as a JSON Schema must convert and compile to an automaton or
// fail with a Status (within the state limits), never crash or hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "constrain/grammar_automaton.h"
#include "constrain/json_schema_converter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto g = sgl::constrain::JsonSchemaToGrammar(text);
  if (!g.ok()) return 0;
  auto a = sgl::constrain::GrammarAutomaton::Build(*g, {200000, 4000, 20000000});
  (void)a;
  return 0;
}
