// ToolCallParser: finds the function calls a model wrote in its output, in the format of
// its family (SGLang's --tool-call-parser names), and splits them from the plain text:
//   qwen25 (also hermes, qwen3): <tool_call>\n{"name": ..., "arguments": {...}}\n</tool_call>
//   llama3: [<|python_tag|>]{"name": ..., "parameters": {...}} (several joined by ';')
//   mistral: [TOOL_CALLS] [{"name": ..., "arguments": {...}}, ...]
//   glm45 (GLM-4.5 / 4.6 / 4.5V): <tool_call>NAME\n<arg_key>K</arg_key>\n<arg_value>V</arg_value>...</tool_call>
//   json_array (what tool_choice "required" or a named function constrains the output to,
//     as SGLang does): [{"name": ..., "parameters": {...}}, ...], the whole output
// Arguments come back as a JSON text (OpenAI's `function.arguments`). A call whose body
// does not parse stays in the text, so nothing the model wrote is lost. Streaming: text
// from a possible call start on is held back (HeldBackFrom) until the output is complete.
// Stateless and thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace sgl::server {

struct ToolCall {
  std::string name;
  std::string arguments;  // JSON text
};

struct ParsedToolCalls {
  std::string text;  // the output without the calls
  std::vector<ToolCall> calls;
};

class ToolCallParser {
 public:
  // One of the names above; an error lists them.
  static Result<ToolCallParser> Create(const std::string& name);
  static std::vector<std::string> Names();

  const std::string& name() const { return name_; }

  ParsedToolCalls Parse(std::string_view output) const;

  // While streaming `output` (incomplete): the byte offset from which text may belong to
  // a call (a start marker, or a prefix of one at the end), so it must not be sent yet;
  // output.size() when all of it is plain text.
  size_t HeldBackFrom(std::string_view output) const;

 private:
  enum class Format { kQwen25, kLlama3, kMistral, kGlm45, kJsonArray };
  ToolCallParser(std::string name, Format format) : name_(std::move(name)), format_(format) {}

  ParsedToolCalls ParseTagged(std::string_view output) const;  // qwen25, glm45
  ParsedToolCalls ParseLlama3(std::string_view output) const;
  ParsedToolCalls ParseMistral(std::string_view output) const;
  ParsedToolCalls ParseJsonArray(std::string_view output) const;
  std::optional<ToolCall> ParseTaggedBody(std::string_view body) const;
  std::string_view StartMarker() const;

  std::string name_;
  Format format_;
};

}  // namespace sgl::server
