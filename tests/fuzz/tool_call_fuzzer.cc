// libFuzzer target: any model output through every tool call parser must split into text
// and calls without crashing, and the held-back offset of a streamed output must lie
// inside it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/tool_call_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view output(reinterpret_cast<const char*>(data), size);
  for (const std::string& name : sgl::server::ToolCallParser::Names()) {
    auto parser = sgl::server::ToolCallParser::Create(name);
    if (!parser.ok()) std::abort();
    const sgl::server::ParsedToolCalls parsed = parser->Parse(output);
    if (parsed.calls.empty() && parsed.text != output) std::abort();  // nothing found: nothing lost
    if (parser->HeldBackFrom(output) > output.size()) std::abort();
  }
  return 0;
}
