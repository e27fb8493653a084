// StringPattern: both pattern kinds become one compiled regex.
#include "tokenizer/string_pattern.h"

#include <nlohmann/json.hpp>

namespace sgl::tokenizer {

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
  auto regex = PcreRegex::Compile(regex_text);
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
