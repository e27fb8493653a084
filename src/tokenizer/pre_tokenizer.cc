// The supported pre-tokenizers, following HF tokenizers' split semantics: a pattern cuts
// a piece into matched and unmatched spans, and the behavior decides what becomes of
// the matched spans (Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous).
#include "tokenizer/pre_tokenizer.h"

#include <utf8proc.h>

#include <functional>
#include <optional>

#include <nlohmann/json.hpp>

#include "tokenizer/byte_level_alphabet.h"
#include "tokenizer/char_class.h"
#include "tokenizer/split_pieces.h"
#include "tokenizer/string_pattern.h"
#include "tokenizer/utf8.h"

namespace sgl::tokenizer {
namespace {

class SplitPreTokenizer final : public PreTokenizer {
 public:
  SplitPreTokenizer(StringPattern pattern, SplitBehavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}
  void PreTokenize(std::vector<PreToken>& pieces) const override {
    SplitPieces(pieces, behavior_, invert_, [&](std::string_view text) { return pattern_.FindAll(text); });
  }

 private:
  StringPattern pattern_;
  SplitBehavior behavior_;
  bool invert_;
};

constexpr const char* kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class ByteLevelPreTokenizer final : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, std::optional<StringPattern> regex)
      : add_prefix_space_(add_prefix_space), regex_(std::move(regex)) {}
  void PreTokenize(std::vector<PreToken>& pieces) const override {
    if (add_prefix_space_) {
      for (PreToken& piece : pieces)
        if (piece.text.empty() || piece.text[0] != ' ') piece.text = " " + piece.text;
    }
    if (regex_) {
      SplitPieces(pieces, SplitBehavior::kIsolated, false, [&](std::string_view t) { return regex_->FindAll(t); });
    }
    const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
    for (PreToken& piece : pieces) piece.text = alphabet.Spell(piece.text);
  }

 private:
  bool add_prefix_space_;
  std::optional<StringPattern> regex_;
};

bool IsNumeric(char32_t cp) {
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return category == UTF8PROC_CATEGORY_ND || category == UTF8PROC_CATEGORY_NL || category == UTF8PROC_CATEGORY_NO;
}

class DigitsPreTokenizer final : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  void PreTokenize(std::vector<PreToken>& pieces) const override {
    SplitPieces(pieces, individual_ ? SplitBehavior::kIsolated : SplitBehavior::kContiguous, false,
                [](std::string_view text) { return MatchChars(text, IsNumeric); });
  }

 private:
  bool individual_;
};

enum class PrependScheme { kAlways, kFirst, kNever };

class MetaspacePreTokenizer final : public PreTokenizer {
 public:
  MetaspacePreTokenizer(std::string replacement, PrependScheme scheme, bool split)
      : replacement_(std::move(replacement)), scheme_(scheme), split_(split) {}
  void PreTokenize(std::vector<PreToken>& pieces) const override {
    for (PreToken& piece : pieces) {
      std::string replaced;
      for (const char c : piece.text) {
        if (c == ' ') {
          replaced += replacement_;
        } else {
          replaced += c;
        }
      }
      const bool starts = replaced.compare(0, replacement_.size(), replacement_) == 0;
      if (!starts && (scheme_ == PrependScheme::kAlways || (scheme_ == PrependScheme::kFirst && piece.at_start))) {
        replaced.insert(0, replacement_);
      }
      piece.text = std::move(replaced);
    }
    if (split_) {
      SplitPieces(pieces, SplitBehavior::kMergedWithNext, false, [&](std::string_view text) {
        std::vector<std::pair<size_t, size_t>> matches;
        for (size_t pos = text.find(replacement_); pos != std::string_view::npos;
             pos = text.find(replacement_, pos + replacement_.size())) {
          matches.emplace_back(pos, pos + replacement_.size());
        }
        return matches;
      });
    }
  }

 private:
  std::string replacement_;
  PrependScheme scheme_;
  bool split_;
};

// A split at single code points of one class: WhitespaceSplit, Punctuation,
// CharDelimiterSplit and BertPreTokenizer (whitespace removed, then punctuation
// isolated) are all this.
class CharSplitPreTokenizer final : public PreTokenizer {
 public:
  CharSplitPreTokenizer(std::function<bool(char32_t)> is_match, SplitBehavior behavior)
      : is_match_(std::move(is_match)), behavior_(behavior) {}
  void PreTokenize(std::vector<PreToken>& pieces) const override {
    SplitPieces(pieces, behavior_, false, [&](std::string_view text) { return MatchChars(text, is_match_); });
  }

 private:
  std::function<bool(char32_t)> is_match_;
  SplitBehavior behavior_;
};

// Rust regex's \w (Alphabetic, marks, decimal digits, connector punctuation, joiners)
// and \s (White_Space), spelled out because PCRE2's \w and \s differ at the edges.
constexpr const char* kWhitespacePattern =
    R"([\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}]+|)"
    R"([^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}\t-\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]+)";

class SequencePreTokenizer final : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps) : steps_(std::move(steps)) {}
  void PreTokenize(std::vector<PreToken>& pieces) const override {
    for (const auto& step : steps_) step->PreTokenize(pieces);
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

}  // namespace

Result<std::unique_ptr<PreTokenizer>> PreTokenizer::FromJson(const nlohmann::json& config) {
  if (config.is_null()) return std::unique_ptr<PreTokenizer>();
  if (!config.is_object() || !config.contains("type")) return InvalidArgument("pre_tokenizer without a type");
  const std::string type = config.at("type").get<std::string>();
  if (type == "ByteLevel") {
    std::optional<StringPattern> regex;
    if (config.value("use_regex", true)) {
      auto compiled = StringPattern::FromRegex(kGpt2Pattern);
      if (!compiled.ok()) return compiled.status();
      regex = std::move(compiled).value();
    }
    return std::unique_ptr<PreTokenizer>(new ByteLevelPreTokenizer(config.value("add_prefix_space", true), std::move(regex)));
  }
  if (type == "Split") {
    auto pattern = StringPattern::FromJson(config.at("pattern"));
    if (!pattern.ok()) return pattern.status();
    auto behavior = ParseBehavior(config.at("behavior").get<std::string>());
    if (!behavior.ok()) return behavior.status();
    return std::unique_ptr<PreTokenizer>(
        new SplitPreTokenizer(std::move(pattern).value(), *behavior, config.value("invert", false)));
  }
  if (type == "Digits") return std::unique_ptr<PreTokenizer>(new DigitsPreTokenizer(config.value("individual_digits", false)));
  if (type == "Metaspace") {
    PrependScheme scheme = PrependScheme::kAlways;
    if (config.contains("prepend_scheme")) {
      const std::string name = config.at("prepend_scheme").get<std::string>();
      if (name == "first") {
        scheme = PrependScheme::kFirst;
      } else if (name == "never") {
        scheme = PrependScheme::kNever;
      } else if (name != "always") {
        return InvalidArgument("unknown Metaspace prepend_scheme '{}'", name);
      }
    } else if (!config.value("add_prefix_space", true)) {
      scheme = PrependScheme::kNever;
    }
    return std::unique_ptr<PreTokenizer>(
        new MetaspacePreTokenizer(config.value("replacement", std::string("\xE2\x96\x81")), scheme, config.value("split", true)));
  }
  if (type == "Whitespace") {
    auto pattern = StringPattern::FromRegex(kWhitespacePattern);
    if (!pattern.ok()) return pattern.status();
    return std::unique_ptr<PreTokenizer>(new SplitPreTokenizer(std::move(pattern).value(), SplitBehavior::kRemoved, true));
  }
  if (type == "WhitespaceSplit") return std::unique_ptr<PreTokenizer>(new CharSplitPreTokenizer(IsWhitespace, SplitBehavior::kRemoved));
  if (type == "Punctuation") {
    auto behavior = ParseBehavior(config.value("behavior", std::string("Isolated")));
    if (!behavior.ok()) return behavior.status();
    return std::unique_ptr<PreTokenizer>(new CharSplitPreTokenizer(IsBertPunctuation, *behavior));
  }
  if (type == "BertPreTokenizer") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    steps.emplace_back(new CharSplitPreTokenizer(IsWhitespace, SplitBehavior::kRemoved));
    steps.emplace_back(new CharSplitPreTokenizer(IsBertPunctuation, SplitBehavior::kIsolated));
    return std::unique_ptr<PreTokenizer>(new SequencePreTokenizer(std::move(steps)));
  }
  if (type == "CharDelimiterSplit") {
    const std::string delimiter = config.at("delimiter").get<std::string>();
    const CodePoint cp = DecodeUtf8(delimiter, 0);
    if (delimiter.empty() || cp.len != delimiter.size()) return InvalidArgument("CharDelimiterSplit delimiter '{}' is not one character", delimiter);
    return std::unique_ptr<PreTokenizer>(
        new CharSplitPreTokenizer([c = cp.value](char32_t x) { return x == c; }, SplitBehavior::kRemoved));
  }
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (const auto& step_config : config.at("pretokenizers")) {
      auto step = FromJson(step_config);
      if (!step.ok()) return step.status();
      if (*step) steps.push_back(std::move(step).value());
    }
    return std::unique_ptr<PreTokenizer>(new SequencePreTokenizer(std::move(steps)));
  }
  return Unsupported("tokenizer pre_tokenizer '{}' is not supported (supported: ByteLevel, Split, Digits, "
                     "Metaspace, Whitespace, WhitespaceSplit, Punctuation, BertPreTokenizer, CharDelimiterSplit, "
                     "Sequence)",
                     type);
}

}  // namespace sgl::tokenizer
