// The supported normalizers, each a small class behind Normalizer::FromJson.
#include "tokenizer/normalizer.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "tokenizer/bert_normalizer.h"
#include "tokenizer/char_class.h"
#include "tokenizer/pcre_regex.h"
#include "tokenizer/precompiled_normalizer.h"
#include "tokenizer/unicode_transforms.h"
#include "tokenizer/utf8.h"
#include "tokenizer/string_pattern.h"

namespace sgl::tokenizer {
namespace {

class UnicodeNormalizer final : public Normalizer {
 public:
  explicit UnicodeNormalizer(UnicodeForm form) : form_(form) {}
  std::string Normalize(std::string_view text) const override { return NormalizeUnicode(text, form_); }

 private:
  UnicodeForm form_;
};

class LowercaseNormalizer final : public Normalizer {
 public:
  std::string Normalize(std::string_view text) const override { return LowercaseChars(text); }
};

// HF's StripAccents removes nonspacing marks only; it does not decompose first.
class StripAccentsNormalizer final : public Normalizer {
 public:
  std::string Normalize(std::string_view text) const override { return RemoveNonspacingMarks(text); }
};

class StripNormalizer final : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  std::string Normalize(std::string_view text) const override {
    size_t begin = 0, end = text.size();
    while (left_ && begin < end) {
      const CodePoint cp = DecodeUtf8(text, begin);
      if (!IsWhitespace(cp.value)) break;
      begin += cp.len;
    }
    while (right_ && end > begin) {
      size_t start = end - 1;
      while (start > begin && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
      if (!IsWhitespace(DecodeUtf8(text, start).value)) break;
      end = start;
    }
    return std::string(text.substr(begin, end - begin));
  }

 private:
  bool left_, right_;
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
  if (type == "NFC") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(UnicodeForm::kNfc));
  if (type == "NFD") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(UnicodeForm::kNfd));
  if (type == "NFKC") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(UnicodeForm::kNfkc));
  if (type == "NFKD") return std::unique_ptr<Normalizer>(new UnicodeNormalizer(UnicodeForm::kNfkd));
  if (type == "StripAccents") return std::unique_ptr<Normalizer>(new StripAccentsNormalizer());
  if (type == "Strip") {
    return std::unique_ptr<Normalizer>(new StripNormalizer(config.value("strip_left", true), config.value("strip_right", true)));
  }
  if (type == "Precompiled") {
    const auto& charsmap = config.value("precompiled_charsmap", nlohmann::json());
    if (charsmap.is_null()) return std::unique_ptr<Normalizer>();  // HF: no map, no change
    if (!charsmap.is_string()) return InvalidArgument("precompiled_charsmap is not a string");
    auto precompiled = PrecompiledNormalizer::FromBase64(charsmap.get<std::string>());
    if (!precompiled.ok()) return precompiled.status();
    return std::unique_ptr<Normalizer>(std::move(precompiled).value());
  }
  if (type == "BertNormalizer") return std::unique_ptr<Normalizer>(new BertNormalizer(BertNormalizer::ParseOptions(config)));
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
  return Unsupported("tokenizer normalizer '{}' is not supported (supported: NFC, NFD, NFKC, NFKD, "
                     "Lowercase, Strip, StripAccents, Replace, Prepend, BertNormalizer, Precompiled, Sequence)",
                     type);
}

}  // namespace sgl::tokenizer
