// libFuzzer target: arbitrary bytes as a chat template must parse or fail with a Status,
// and a parsed template must render a fixed conversation or fail with a Status, within
// the render limits: never crash, throw, hang or exhaust memory.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tokenizer/chat_template/chat_template.h"

namespace {

const nlohmann::ordered_json& Context() {
  static const auto* context = new nlohmann::ordered_json(nlohmann::ordered_json::parse(R"({
    "messages": [
      {"role": "system", "content": "sys"},
      {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "hi \u00e9"}]},
      {"role": "assistant", "content": "<think>x</think>ok", "reasoning_content": "r",
       "tool_calls": [{"type": "function", "function": {"name": "f", "arguments": {"a": 1, "b": [1.5, null]}}}]},
      {"role": "tool", "content": "{\"v\": true}"},
      {"role": "user", "content": "again?"}
    ],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
    "add_generation_prompt": true, "enable_thinking": false,
    "bos_token": "<s>", "eos_token": "</s>"
  })"));
  return *context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sgl::jinja::RenderLimits limits;
  limits.max_steps = 200'000;
  limits.max_output_bytes = 1 << 20;
  auto tmpl = sgl::ChatTemplate::Parse(std::string(reinterpret_cast<const char*>(data), size), limits);
  if (!tmpl.ok()) {
    if (tmpl.status().message().empty()) __builtin_trap();  // errors always explain themselves
    return 0;
  }
  auto out = tmpl->Render(Context());
  if (out.ok() && out->size() > limits.max_output_bytes) __builtin_trap();
  return 0;
}
