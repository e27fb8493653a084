// StringPattern: both pattern kinds become one compiled regex.
#include "tokenizer/string_pattern.h"

#include <nlohmann/json.hpp>

namespace sgl::tokenizer {
namespace {

// HF tokenizers compiles patterns with Oniguruma, whose \w is Unicode's word class
// (alphabetic, marks, decimal digits, connector punctuation); PCRE2's \w under
// UCP lacks the marks, so \w is spelled out. Everything else (\s, \d, \p{..})
// means the same in both.
std::string OnigToPcre(const std::string& pattern) {
  constexpr const char* kWordClass = R"(\p{Alphabetic}\p{M}\p{Nd}\p{Pc})";
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\' && i + 1 < pattern.size()) {
      const char next = pattern[i + 1];
      if (next == 'w') {
        out += in_class ? std::string(kWordClass) : "[" + std::string(kWordClass) + "]";
      } else if (next == 'W' && !in_class) {
        out += "[^" + std::string(kWordClass) + "]";
      } else {
        out += c;
        out += next;
      }
      ++i;
    } else {
      if (c == '[' && !in_class) {
        in_class = true;
        out += c;
        if (i + 1 < pattern.size() && pattern[i + 1] == '^') out += pattern[++i];
        if (i + 1 < pattern.size() && pattern[i + 1] == ']') out += pattern[++i];  // literal ] first
        continue;
      }
      if (c == ']' && in_class) in_class = false;
      out += c;
    }
  }
  return out;
}

}  // namespace

Result<StringPattern> StringPattern::FromJson(const nlohmann::json& pattern) {
  if (pattern.is_object() && pattern.contains("String")) {
    auto regex = PcreRegex::Literal(pattern.at("String").get<std::string>());
    if (!regex.ok()) return regex.status();
    return StringPattern(std::shared_ptr<const PcreRegex>(std::move(regex).value()));
  }
  if (pattern.is_object() && pattern.contains("Regex")) return FromRegex(pattern.at("Regex").get<std::string>());
  return InvalidArgument("pattern must be {{\"String\": ...}} or {{\"Regex\": ...}}, got {}", pattern.dump());
}

Result<StringPattern> StringPattern::FromRegex(const std::string& regex_text) {
  auto regex = PcreRegex::Compile(OnigToPcre(regex_text));
  if (!regex.ok()) return regex.status();
  return StringPattern(std::shared_ptr<const PcreRegex>(std::move(regex).value()));
}

std::string StringPattern::ReplaceAll(std::string_view text, std::string_view content) const {
  std::string out;
  size_t last = 0;
  for (const auto& [begin, end] : FindAll(text)) {
    out.append(text.substr(last, begin - last));
    out.append(content);
    last = end;
  }
  out.append(text.substr(last));
  return out;
}

}  // namespace sgl::tokenizer
