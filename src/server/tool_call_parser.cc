#include "server/tool_call_parser.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace sgl::server {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kToolCallOpen = "<tool_call>";
constexpr std::string_view kToolCallClose = "</tool_call>";
constexpr std::string_view kPythonTag = "<|python_tag|>";
constexpr std::string_view kMistralTag = "[TOOL_CALLS]";

std::string_view Trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::optional<Json> ParseJson(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// {"name": ..., "arguments" | "parameters": {...} or a JSON text} -> a call.
std::optional<ToolCall> CallFromJson(const Json& j) {
  if (!j.is_object() || !j.contains("name") || !j["name"].is_string()) return std::nullopt;
  ToolCall call{j["name"].get<std::string>(), "{}"};
  for (const char* key : {"arguments", "parameters"}) {
    if (!j.contains(key)) continue;
    const Json& args = j[key];
    call.arguments = args.is_string() ? args.get<std::string>() : args.dump(-1, ' ', false, Json::error_handler_t::replace);
    break;
  }
  return call;
}

// End (one past) of the JSON object starting at `begin` ('{'), or npos when it does not close.
size_t ObjectEnd(std::string_view s, size_t begin) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = begin; i < s.size(); ++i) {
    const char c = s[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Of `marker`, the longest prefix that `text` ends with (a marker still arriving).
size_t PartialMarkerAtEnd(std::string_view text, std::string_view marker) {
  for (size_t n = std::min(text.size(), marker.size() - 1); n > 0; --n)
    if (text.substr(text.size() - n) == marker.substr(0, n)) return n;
  return 0;
}

}  // namespace

std::vector<std::string> ToolCallParser::Names() {
  return {"qwen25", "qwen3", "hermes", "llama3", "mistral", "glm45", "json_array"};
}

Result<ToolCallParser> ToolCallParser::Create(const std::string& name) {
  if (name == "qwen25" || name == "qwen3" || name == "hermes") return ToolCallParser(name, Format::kQwen25);
  if (name == "llama3") return ToolCallParser(name, Format::kLlama3);
  if (name == "mistral") return ToolCallParser(name, Format::kMistral);
  if (name == "glm45") return ToolCallParser(name, Format::kGlm45);
  if (name == "json_array") return ToolCallParser(name, Format::kJsonArray);
  return InvalidArgument("unknown tool call parser '{}' (one of: {})", name, fmt::join(Names(), ", "));
}

std::string_view ToolCallParser::StartMarker() const {
  switch (format_) {
    case Format::kLlama3: return kPythonTag;
    case Format::kMistral: return kMistralTag;
    default: return kToolCallOpen;
  }
}

ParsedToolCalls ToolCallParser::Parse(std::string_view output) const {
  switch (format_) {
    case Format::kLlama3: return ParseLlama3(output);
    case Format::kMistral: return ParseMistral(output);
    case Format::kJsonArray: return ParseJsonArray(output);
    default: return ParseTagged(output);
  }
}

size_t ToolCallParser::HeldBackFrom(std::string_view output) const {
  if (format_ == Format::kJsonArray) return 0;  // the whole output is the calls
  if (format_ == Format::kLlama3 && !Trim(output).empty() && Trim(output)[0] == '{') return 0;
  const std::string_view marker = StartMarker();
  const size_t at = output.find(marker);
  if (at != std::string_view::npos) return at;
  return output.size() - PartialMarkerAtEnd(output, marker);
}

ParsedToolCalls ToolCallParser::ParseTagged(std::string_view output) const {
  ParsedToolCalls out;
  size_t pos = 0;
  while (pos < output.size()) {
    const size_t open = output.find(kToolCallOpen, pos);
    const size_t body = open == std::string_view::npos ? open : open + kToolCallOpen.size();
    const size_t close = open == std::string_view::npos ? open : output.find(kToolCallClose, body);
    std::optional<ToolCall> call;
    if (close != std::string_view::npos) call = ParseTaggedBody(output.substr(body, close - body));
    if (!call) {  // no (well-formed) call from here: the rest is text
      out.text += output.substr(pos);
      break;
    }
    out.text += output.substr(pos, open - pos);
    out.calls.push_back(std::move(*call));
    pos = close + kToolCallClose.size();
  }
  if (!out.calls.empty()) out.text = std::string(Trim(out.text));
  return out;
}

std::optional<ToolCall> ToolCallParser::ParseTaggedBody(std::string_view body) const {
  if (format_ == Format::kQwen25) {
    const std::optional<Json> j = ParseJson(Trim(body));
    return j ? CallFromJson(*j) : std::nullopt;
  }
  // glm45: the name on the first line, then <arg_key>K</arg_key> <arg_value>V</arg_value> pairs.
  constexpr std::string_view kKeyOpen = "<arg_key>", kKeyClose = "</arg_key>";
  constexpr std::string_view kValueOpen = "<arg_value>", kValueClose = "</arg_value>";
  const size_t first_key = body.find(kKeyOpen);
  ToolCall call{std::string(Trim(body.substr(0, first_key))), ""};
  if (call.name.empty() || call.name.find_first_of("<>\n") != std::string::npos) return std::nullopt;
  Json args = Json::object();
  for (size_t pos = first_key; pos != std::string_view::npos;) {
    const size_t key_end = body.find(kKeyClose, pos);
    const size_t value_open = key_end == std::string_view::npos ? key_end : body.find(kValueOpen, key_end);
    const size_t value_close = value_open == std::string_view::npos ? value_open : body.find(kValueClose, value_open);
    if (value_close == std::string_view::npos) return std::nullopt;
    if (!Trim(body.substr(key_end + kKeyClose.size(), value_open - key_end - kKeyClose.size())).empty()) return std::nullopt;
    const std::string key(Trim(body.substr(pos + kKeyOpen.size(), key_end - pos - kKeyOpen.size())));
    const std::string_view value = body.substr(value_open + kValueOpen.size(), value_close - value_open - kValueOpen.size());
    // Values that are JSON (numbers, booleans, lists, objects) keep their type; the rest are strings.
    const std::optional<Json> typed = ParseJson(Trim(value));
    args[key] = typed && !typed->is_string() ? *typed : Json(std::string(value));
    pos = body.find(kKeyOpen, value_close);
    if (pos == std::string_view::npos && !Trim(body.substr(value_close + kValueClose.size())).empty()) return std::nullopt;
  }
  call.arguments = args.dump(-1, ' ', false, Json::error_handler_t::replace);
  return call;
}

ParsedToolCalls ToolCallParser::ParseLlama3(std::string_view output) const {
  const size_t tag = output.find(kPythonTag);
  std::string_view text = tag == std::string_view::npos ? std::string_view() : output.substr(0, tag);
  std::string_view calls = tag == std::string_view::npos ? Trim(output) : Trim(output.substr(tag + kPythonTag.size()));
  if (tag == std::string_view::npos && (calls.empty() || calls[0] != '{')) return {std::string(output), {}};
  ParsedToolCalls out;
  size_t pos = 0;
  while (pos < calls.size()) {
    const size_t end = calls[pos] == '{' ? ObjectEnd(calls, pos) : std::string_view::npos;
    const std::optional<Json> j = end == std::string_view::npos ? std::nullopt : ParseJson(calls.substr(pos, end - pos));
    std::optional<ToolCall> call = j ? CallFromJson(*j) : std::nullopt;
    if (!call) return {std::string(output), {}};  // not all calls: keep the text as it was
    out.calls.push_back(std::move(*call));
    pos = end;
    while (pos < calls.size() && (calls[pos] == ';' || calls[pos] == ' ' || calls[pos] == '\n')) ++pos;
  }
  if (out.calls.empty()) return {std::string(output), {}};
  out.text = std::string(Trim(text));
  return out;
}

ParsedToolCalls ToolCallParser::ParseMistral(std::string_view output) const {
  const size_t tag = output.find(kMistralTag);
  if (tag == std::string_view::npos) return {std::string(output), {}};
  ParsedToolCalls out = ParseJsonArray(output.substr(tag + kMistralTag.size()));
  if (out.calls.empty()) return {std::string(output), {}};
  out.text = std::string(Trim(output.substr(0, tag)));
  return out;
}

ParsedToolCalls ToolCallParser::ParseJsonArray(std::string_view output) const {
  const std::optional<Json> j = ParseJson(Trim(output));
  if (!j) return {std::string(output), {}};
  ParsedToolCalls out;
  for (const Json& item : j->is_array() ? *j : Json::array({*j})) {
    std::optional<ToolCall> call = CallFromJson(item);
    if (!call) return {std::string(output), {}};
    out.calls.push_back(std::move(*call));
  }
  if (out.calls.empty()) return {std::string(output), {}};
  return out;
}

}  // namespace sgl::server
