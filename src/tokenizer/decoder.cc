// The supported decoders, each following the HF tokenizers decoder of the same name.
#include "tokenizer/decoder.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <utility>

#include "tokenizer/byte_level_alphabet.h"
#include "tokenizer/json_int.h"
#include "tokenizer/string_pattern.h"
#include "tokenizer/utf8.h"

namespace sgl::tokenizer {
namespace {

class ByteLevelDecoder final : public Decoder {
 public:
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens, bool raw) const override {
    const ByteLevelAlphabet& alphabet = ByteLevelAlphabet::Get();
    std::string bytes;
    for (const std::string& token : tokens) {
      std::string token_bytes;
      bool all_mapped = true;
      for (size_t pos = 0; pos < token.size();) {
        const CodePoint cp = DecodeUtf8(token, pos);
        const auto b = alphabet.ByteOf(cp.value);
        if (!b) {
          all_mapped = false;
          break;
        }
        token_bytes += static_cast<char>(*b);
        pos += cp.len;
      }
      bytes += all_mapped ? token_bytes : token;  // a token outside the alphabet stands for itself
    }
    return {raw ? bytes : Utf8Lossy(bytes)};
  }
};

std::optional<uint8_t> ParseByteToken(const std::string& token) {
  if (token.size() != 6 || token.compare(0, 3, "<0x") != 0 || token[5] != '>') return std::nullopt;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  const int hi = hex(token[3]), lo = hex(token[4]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<uint8_t>(hi * 16 + lo);
}

class ByteFallbackDecoder final : public Decoder {
 public:
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens, bool raw) const override {
    std::vector<std::string> out;
    std::string pending;
    auto flush = [&] {
      if (pending.empty()) return;
      if (raw || Utf8Lossy(pending) == pending) {
        out.push_back(pending);
      } else {  // HF: one U+FFFD per byte when the group is not valid UTF-8
        for (size_t i = 0; i < pending.size(); ++i) out.emplace_back("\xEF\xBF\xBD");
      }
      pending.clear();
    };
    for (std::string& token : tokens) {
      if (const auto b = ParseByteToken(token)) {
        pending += static_cast<char>(*b);
      } else {
        flush();
        out.push_back(std::move(token));
      }
    }
    flush();
    return out;
  }
};

class FuseDecoder final : public Decoder {
 public:
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens, bool raw) const override {
    std::string joined;
    for (const std::string& token : tokens) joined += token;
    return {joined};
  }
};

class StripDecoder final : public Decoder {
 public:
  StripDecoder(std::string content, size_t start, size_t stop) : content_(std::move(content)), start_(start), stop_(stop) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens, bool raw) const override {
    if (raw || content_.empty()) return tokens;
    for (std::string& token : tokens) {
      size_t begin = 0, end = token.size();
      for (size_t i = 0; i < start_ && token.compare(begin, content_.size(), content_) == 0; ++i) begin += content_.size();
      for (size_t i = 0; i < stop_ && end >= begin + content_.size() &&
                         token.compare(end - content_.size(), content_.size(), content_) == 0;
           ++i) {
        end -= content_.size();
      }
      token = token.substr(begin, end - begin);
    }
    return tokens;
  }

 private:
  std::string content_;
  size_t start_, stop_;
};

class ReplaceDecoder final : public Decoder {
 public:
  ReplaceDecoder(StringPattern pattern, std::string content) : pattern_(std::move(pattern)), content_(std::move(content)) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens, bool raw) const override {
    for (std::string& token : tokens) token = pattern_.ReplaceAll(token, content_);
    return tokens;
  }

 private:
  StringPattern pattern_;
  std::string content_;
};

class MetaspaceDecoder final : public Decoder {
 public:
  MetaspaceDecoder(std::string replacement, bool strip_first) : replacement_(std::move(replacement)), strip_first_(strip_first) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens, bool raw) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      const bool drop = strip_first_ && i == 0 && !raw;  // HF drops every replacement char of the first token
      std::string out;
      const std::string& token = tokens[i];
      for (size_t pos = 0; pos < token.size();) {
        if (!replacement_.empty() && token.compare(pos, replacement_.size(), replacement_) == 0) {
          if (!drop) out += ' ';
          pos += replacement_.size();
        } else {
          out += token[pos++];
        }
      }
      tokens[i] = std::move(out);
    }
    return tokens;
  }

 private:
  std::string replacement_;
  bool strip_first_;
};

// BERT's detokenization cleanup: no space before punctuation and contractions.
std::string Cleanup(std::string text) {
  static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
      {" .", "."}, {" ?", "?"}, {" !", "!"}, {" ,", ","}, {" ' ", "'"}, {" n't", "n't"},
      {" 'm", "'m"}, {" do not", " don't"}, {" 's", "'s"}, {" 've", "'ve"}, {" 're", "'re"}};
  for (const auto& [from, to] : kRules) {
    std::string out;
    size_t last = 0;
    for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, last)) {
      out.append(text, last, pos - last);
      out += to;
      last = pos + from.size();
    }
    out.append(text, last, std::string::npos);
    text = std::move(out);
  }
  return text;
}

// WordPiece: a token after the first loses its "##" prefix, or gets a space before it.
class WordPieceDecoder final : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup) : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens, bool raw) const override {
    for (size_t i = 0; i < tokens.size(); ++i) {
      std::string& token = tokens[i];
      if (i != 0 || raw) {
        if (token.compare(0, prefix_.size(), prefix_) == 0) {
          token.erase(0, prefix_.size());
        } else {
          token.insert(0, " ");
        }
      }
      if (cleanup_) token = Cleanup(std::move(token));
    }
    return tokens;
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

// CTC (speech models): repeated tokens collapse, the pad token vanishes, the word
// delimiter becomes a space.
class CtcDecoder final : public Decoder {
 public:
  CtcDecoder(std::string pad, std::string delimiter, bool cleanup)
      : pad_(std::move(pad)), delimiter_(std::move(delimiter)), cleanup_(cleanup) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens, bool raw) const override {
    std::vector<std::string> out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0 && tokens[i] == tokens[i - 1]) continue;
      std::string token = ReplaceAllOf(tokens[i], pad_, "");
      if (cleanup_) token = ReplaceAllOf(Cleanup(std::move(token)), delimiter_, " ");
      if (!token.empty()) out.push_back(std::move(token));
    }
    return out;
  }

 private:
  static std::string ReplaceAllOf(const std::string& text, const std::string& from, const std::string& to) {
    if (from.empty()) return text;
    std::string out;
    size_t last = 0;
    for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, last)) {
      out.append(text, last, pos - last);
      out += to;
      last = pos + from.size();
    }
    out.append(text, last, std::string::npos);
    return out;
  }
  std::string pad_, delimiter_;
  bool cleanup_;
};

// BPEDecoder: the end-of-word suffix becomes a space, except on the last token.
class BpeSuffixDecoder final : public Decoder {
 public:
  explicit BpeSuffixDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens, bool raw) const override {
    if (suffix_.empty()) return tokens;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const std::string replacement = i + 1 == tokens.size() && !raw ? "" : " ";
      std::string out;
      size_t last = 0;
      for (size_t pos = tokens[i].find(suffix_); pos != std::string::npos; pos = tokens[i].find(suffix_, last)) {
        out.append(tokens[i], last, pos - last);
        out += replacement;
        last = pos + suffix_.size();
      }
      out.append(tokens[i], last, std::string::npos);
      tokens[i] = std::move(out);
    }
    return tokens;
  }

 private:
  std::string suffix_;
};

class SequenceDecoder final : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps) : steps_(std::move(steps)) {}
  std::vector<std::string> DecodeChain(std::vector<std::string> tokens, bool raw) const override {
    for (const auto& step : steps_) tokens = step->DecodeChain(std::move(tokens), raw);
    return tokens;
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

}  // namespace

Result<std::unique_ptr<Decoder>> Decoder::FromJson(const nlohmann::json& config) {
  if (config.is_null()) return std::unique_ptr<Decoder>();
  if (!config.is_object() || !config.contains("type")) return InvalidArgument("decoder without a type");
  const std::string type = config.at("type").get<std::string>();
  if (type == "ByteLevel") return std::unique_ptr<Decoder>(new ByteLevelDecoder());
  if (type == "ByteFallback") return std::unique_ptr<Decoder>(new ByteFallbackDecoder());
  if (type == "Fuse") return std::unique_ptr<Decoder>(new FuseDecoder());
  if (type == "Strip") {
    auto start = ReadIntField(config, "start", 0, 0, INT32_MAX);
    if (!start.ok()) return start.status();
    auto stop = ReadIntField(config, "stop", 0, 0, INT32_MAX);
    if (!stop.ok()) return stop.status();
    return std::unique_ptr<Decoder>(new StripDecoder(config.at("content").get<std::string>(), static_cast<size_t>(*start),
                                                     static_cast<size_t>(*stop)));
  }
  if (type == "Replace") {
    auto pattern = StringPattern::FromJson(config.at("pattern"));
    if (!pattern.ok()) return pattern.status();
    return std::unique_ptr<Decoder>(new ReplaceDecoder(std::move(pattern).value(), config.at("content").get<std::string>()));
  }
  if (type == "Metaspace") {
    bool strip_first = config.value("add_prefix_space", true);
    if (config.contains("prepend_scheme")) strip_first = config.at("prepend_scheme").get<std::string>() != "never";
    return std::unique_ptr<Decoder>(
        new MetaspaceDecoder(config.value("replacement", std::string("\xE2\x96\x81")), strip_first));
  }
  if (type == "WordPiece") {
    return std::unique_ptr<Decoder>(new WordPieceDecoder(config.value("prefix", std::string("##")), config.value("cleanup", true)));
  }
  if (type == "CTC") {
    return std::unique_ptr<Decoder>(new CtcDecoder(config.value("pad_token", std::string("<pad>")),
                                                   config.value("word_delimiter_token", std::string("|")),
                                                   config.value("cleanup", true)));
  }
  if (type == "BPEDecoder") return std::unique_ptr<Decoder>(new BpeSuffixDecoder(config.value("suffix", std::string("</w>"))));
  if (type == "Sequence") {
    std::vector<std::unique_ptr<Decoder>> steps;
    for (const auto& step_config : config.at("decoders")) {
      auto step = FromJson(step_config);
      if (!step.ok()) return step.status();
      if (*step) steps.push_back(std::move(step).value());
    }
    return std::unique_ptr<Decoder>(new SequenceDecoder(std::move(steps)));
  }
  return Unsupported("tokenizer decoder '{}' is not supported (supported: ByteLevel, Metaspace, ByteFallback, Fuse, "
                     "Strip, Replace, WordPiece, CTC, BPEDecoder, Sequence)",
                     type);
}

}  // namespace sgl::tokenizer
