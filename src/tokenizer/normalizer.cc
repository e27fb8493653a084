// The supported normalizers, each a small class behind Normalizer::FromJson.
#include "tokenizer/normalizer.h"

#include <utf8proc.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "tokenizer/pcre_regex.h"
#include "tokenizer/utf8.h"
#include "tokenizer/string_pattern.h"

namespace sgl::tokenizer {
namespace {

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(bool compatibility) : compatibility_(compatibility) {}
  std::string Normalize(std::string_view text) const override {
    if (text.empty()) return {};
    utf8proc_uint8_t* out = nullptr;
    const int options = UTF8PROC_STABLE | UTF8PROC_COMPOSE | (compatibility_ ? UTF8PROC_COMPAT : 0);
    const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                            static_cast<utf8proc_ssize_t>(text.size()), &out,
                                            static_cast<utf8proc_option_t>(options));
    if (n < 0) return std::string(text);  // unreachable for valid UTF-8
    std::string result(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
    free(out);
    return result;
  }

 private:
  bool compatibility_;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  std::string Normalize(std::string_view text) const override {
    std::string out;
    out.reserve(text.size());
    for (size_t pos = 0; pos < text.size();) {
      const CodePoint cp = DecodeUtf8(text, pos);
      if (cp.value == 0x130) {  // Rust lowercases İ to "i̇"
        out += "i\xCC\x87";
      } else {
        AppendUtf8(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(cp.value))), out);
      }
      pos += cp.len;
    }
    return out;
  }
};

class PrependNormalizer final : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  std::string Normalize(std::string_view text) const override {
    return text.empty() ? std::string() : prefix_ + std::string(text);
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer final : public Normalizer {
 public:
  ReplaceNormalizer(StringPattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::string Normalize(std::string_view text) const override { return pattern_.ReplaceAll(text, content_); }

 private:
  StringPattern pattern_;
  std::string content_;
};

class SequenceNormalizer final : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps) : steps_(std::move(steps)) {}
  std::string Normalize(std::string_view text) const override {
    std::string current(text);
    for (const auto& step : steps_) current = step->Normalize(current);
    return current;
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

Result<std::unique_ptr<Normalizer>> Normalizer::FromJson(const nlohmann::json& config) {
  if (config.is_null()) return std::unique_ptr<Normalizer>();
  if (!config.is_object() || !config.contains("type")) return InvalidArgument("normalizer without a type");
  const std::string type = config.at("type").get<std::string>();
  if (type == "NFC" || type == "NFKC") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(type == "NFKC"));
  if (type == "Lowercase") return std::unique_ptr<Normalizer>(new LowercaseNormalizer());
  if (type == "Prepend") return std::unique_ptr<Normalizer>(new PrependNormalizer(config.at("prepend").get<std::string>()));
  if (type == "Replace") {
    auto pattern = StringPattern::FromJson(config.at("pattern"));
    if (!pattern.ok()) return pattern.status();
    return std::unique_ptr<Normalizer>(
        new ReplaceNormalizer(std::move(pattern).value(), config.at("content").get<std::string>()));
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (const auto& step_config : config.at("normalizers")) {
      auto step = FromJson(step_config);
      if (!step.ok()) return step.status();
      if (*step) steps.push_back(std::move(step).value());
    }
    return std::unique_ptr<Normalizer>(new SequenceNormalizer(std::move(steps)));
  }
  return Unsupported("tokenizer normalizer '{}' is not supported (supported: NFC, NFKC, Replace, Prepend, "
                     "Lowercase, Sequence)",
                     type);
}

}  // namespace sgl::tokenizer
