// StringPattern: tokenizer.json's {"String": s} or {"Regex": r} pattern, as used by
// Replace (normalizer, decoder) and Split. Both compile to a PcreRegex. Immutable;
// thread-safe; movable.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"
#include "tokenizer/pcre_regex.h"

namespace sgl::tokenizer {

class StringPattern {
 public:
  static Result<StringPattern> FromJson(const nlohmann::json& pattern);
  static Result<StringPattern> FromRegex(const std::string& regex);

  std::vector<std::pair<size_t, size_t>> FindAll(std::string_view text) const { return regex_->FindAll(text); }
  std::string ReplaceAll(std::string_view text, std::string_view content) const;

 private:
  explicit StringPattern(std::shared_ptr<const PcreRegex> regex) : regex_(std::move(regex)) {}
  std::shared_ptr<const PcreRegex> regex_;
};

}  // namespace sgl::tokenizer
