// Tokenizer::FromGguf: rebuilds the HF pipeline from tokenizer.ggml.* metadata.
//   "gpt2":  byte-level BPE with the file's merges; tokenizer.ggml.pre picks the split
//            regexes llama.cpp uses for that name (each splits the previous pieces).
//   "llama": SentencePiece BPE: spaces become U+2581 (plus one in front when
//            add_space_prefix), merges follow the scores (for Gemma, the token order,
//            as transformers derives them), unknown characters fall back to <0xNN>.
// Token types: 3 (control) become special added tokens, 4 (user-defined) plain added
// tokens, matched in the raw text as llama.cpp does.
#include <nlohmann/json.hpp>
#include <numeric>

#include "format/gguf_file.h"
#include "tokenizer/bpe_model.h"
#include "tokenizer/byte_level_alphabet.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace sgl {
namespace {

constexpr int64_t kTokenTypeControl = 3;
constexpr int64_t kTokenTypeUserDefined = 4;

constexpr const char* kGpt2Split = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";
constexpr const char* kLlama3Split =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr const char* kQwen2Split =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// The regexes llama.cpp (llama-vocab.cpp) applies for a tokenizer.ggml.pre name.
Result<std::vector<std::string>> SplitRegexesFor(const std::string& pre) {
  if (pre == "gpt-2") return std::vector<std::string>{kGpt2Split};
  if (pre == "default") {
    return std::vector<std::string>{R"([\p{P}\$\+<=>\^~\|]+)", kGpt2Split, R"(\p{N}+)", "[0-9][0-9][0-9]"};
  }
  if (pre == "llama3" || pre == "llama-bpe" || pre == "llama-v3") return std::vector<std::string>{kLlama3Split};
  if (pre == "qwen2") return std::vector<std::string>{kQwen2Split};
  if (pre == "smollm") return std::vector<std::string>{R"(\p{N})", kGpt2Split};
  if (pre == "deepseek-llm") {
    return std::vector<std::string>{
        "[\r\n]",
        "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-"
        "ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
        "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
        "\\s+$",
        "[一-龥ࠀ-一가-퟿]+",
        "\\p{N}+",
    };
  }
  return Unsupported("tokenizer.ggml.pre '{}' is not supported (supported: gpt-2, default, llama3, llama-bpe, "
                     "qwen2, smollm, deepseek-llm)",
                     pre);
}

std::optional<int32_t> OptionalId(const GgufFile& gguf, const char* key) {
  auto value = gguf.GetInt(key);
  if (!value.ok() || *value < 0 || *value > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(*value);
}

bool OptionalBool(const GgufFile& gguf, const char* key, bool fallback) {
  auto value = gguf.GetBool(key);
  return value.ok() ? *value : fallback;
}

nlohmann::json SplitStep(const std::string& regex) {
  return {{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}, {"invert", false}};
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(const GgufFile& gguf) {
  auto model_name = gguf.GetString("tokenizer.ggml.model");
  if (!model_name.ok()) return model_name.status().WithContext(gguf.name());
  auto tokens_or = gguf.GetStringArray("tokenizer.ggml.tokens");
  if (!tokens_or.ok()) return tokens_or.status().WithContext(gguf.name());
  std::vector<std::string> tokens = std::move(tokens_or).value();
  std::vector<int64_t> token_types(tokens.size(), 1);
  if (gguf.Find("tokenizer.ggml.token_type") != nullptr) {
    auto types = gguf.GetIntArray("tokenizer.ggml.token_type");
    if (!types.ok()) return types.status().WithContext(gguf.name());
    if (types->size() != tokens.size()) return Corrupt("{}: token_type has {} entries for {} tokens", gguf.name(), types->size(), tokens.size());
    token_types = std::move(types).value();
  }
  std::unique_ptr<Tokenizer> tok(new Tokenizer());
  tok->bos_id_ = OptionalId(gguf, "tokenizer.ggml.bos_token_id");
  tok->eos_id_ = OptionalId(gguf, "tokenizer.ggml.eos_token_id");
  const std::string architecture = gguf.GetString("general.architecture").ok() ? *gguf.GetString("general.architecture") : "";
  std::vector<tokenizer::AddedToken> added;
  nlohmann::json normalizer, pre_tokenizer, decoder;

  if (*model_name == "gpt2") {
    const auto& alphabet = tokenizer::ByteLevelAlphabet::Get();
    std::vector<std::string> vocab(tokens.size());
    for (size_t id = 0; id < tokens.size(); ++id) {
      const std::string& t = tokens[id];
      bool spelled = true;
      for (size_t pos = 0; pos < t.size() && spelled;) {
        const auto cp = tokenizer::DecodeUtf8(t, pos);
        spelled = alphabet.ByteOf(cp.value).has_value();
        pos += cp.len;
      }
      vocab[id] = spelled ? t : alphabet.Spell(t);
      if (token_types[id] == kTokenTypeControl && spelled) added.push_back({static_cast<int32_t>(id), t, true});
      if (token_types[id] == kTokenTypeUserDefined) added.push_back({static_cast<int32_t>(id), t, false});
    }
    auto merges_text = gguf.GetStringArray("tokenizer.ggml.merges");
    if (!merges_text.ok()) return merges_text.status().WithContext(gguf.name());
    std::vector<std::pair<std::string, std::string>> merges;
    merges.reserve(merges_text->size());
    for (const std::string& m : *merges_text) {
      const size_t space = m.find(' ', 1);
      if (space == std::string::npos) return Corrupt("{}: merge '{}' is not 'left right'", gguf.name(), m);
      merges.emplace_back(m.substr(0, space), m.substr(space + 1));
    }
    auto bpe = tokenizer::BpeModel::FromMerges(vocab, merges, {});
    if (!bpe.ok()) return bpe.status().WithContext(gguf.name());
    tok->model_ = std::move(bpe).value();
    const std::string pre = gguf.GetString("tokenizer.ggml.pre").ok() ? *gguf.GetString("tokenizer.ggml.pre") : "default";
    auto regexes = SplitRegexesFor(pre);
    if (!regexes.ok()) return regexes.status().WithContext(gguf.name());
    pre_tokenizer = {{"type", "Sequence"}, {"pretokenizers", nlohmann::json::array()}};
    for (const std::string& r : *regexes) pre_tokenizer["pretokenizers"].push_back(SplitStep(r));
    pre_tokenizer["pretokenizers"].push_back({{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}});
    decoder = {{"type", "ByteLevel"}};
  } else if (*model_name == "llama") {
    const bool gemma = architecture.rfind("gemma", 0) == 0;
    std::vector<int64_t> priority(tokens.size());
    std::vector<bool> respelled_ids(tokens.size(), false);
    if (gemma) {
      // Gemma files store runs of spaces as spaces; the vocabulary spells them with U+2581.
      for (size_t id = 0; id < tokens.size(); ++id) {
        std::string& t = tokens[id];
        if (!t.empty() && t.find_first_not_of(' ') == std::string::npos) {
          std::string respelled;
          for (size_t i = 0; i < t.size(); ++i) respelled += "\xE2\x96\x81";
          t = respelled;
          respelled_ids[id] = true;  // transformers does not add these as added tokens
        }
      }
      std::iota(priority.begin(), priority.end(), 0);
    } else {
      auto scores = gguf.GetFloatArray("tokenizer.ggml.scores");
      if (!scores.ok()) return scores.status().WithContext(gguf.name());
      if (scores->size() != tokens.size()) return Corrupt("{}: {} scores for {} tokens", gguf.name(), scores->size(), tokens.size());
      std::vector<int32_t> order(tokens.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) { return (*scores)[a] > (*scores)[b]; });
      for (size_t rank = 0; rank < order.size(); ++rank) priority[order[rank]] = static_cast<int64_t>(rank);
    }
    for (size_t id = 0; id < tokens.size(); ++id) {
      if (token_types[id] == kTokenTypeControl) added.push_back({static_cast<int32_t>(id), tokens[id], true});
      if (token_types[id] == kTokenTypeUserDefined && !respelled_ids[id]) {
        added.push_back({static_cast<int32_t>(id), tokens[id], false});
      }
    }
    tokenizer::BpeOptions options;
    options.byte_fallback = true;
    options.fuse_unk = true;
    if (const auto unk = OptionalId(gguf, "tokenizer.ggml.unknown_token_id"); unk && *unk < static_cast<int32_t>(tokens.size())) {
      options.unk_token = tokens[*unk];
    }
    auto bpe = tokenizer::BpeModel::FromPriorities(tokens, std::move(priority), options);
    if (!bpe.ok()) return bpe.status().WithContext(gguf.name());
    tok->model_ = std::move(bpe).value();
    const bool add_space_prefix = OptionalBool(gguf, "tokenizer.ggml.add_space_prefix", true);
    normalizer = {{"type", "Sequence"}, {"normalizers", nlohmann::json::array()}};
    if (add_space_prefix) normalizer["normalizers"].push_back({{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}});
    normalizer["normalizers"].push_back({{"type", "Replace"}, {"pattern", {{"String", " "}}}, {"content", "\xE2\x96\x81"}});
    decoder = {{"type", "Sequence"},
               {"decoders",
                {{{"type", "Replace"}, {"pattern", {{"String", "\xE2\x96\x81"}}}, {"content", " "}},
                 {{"type", "ByteFallback"}},
                 {{"type", "Fuse"}}}}};
    if (add_space_prefix) decoder["decoders"].push_back({{"type", "Strip"}, {"content", " "}, {"start", 1}, {"stop", 0}});
  } else {
    return Unsupported("{}: tokenizer.ggml.model '{}' is not supported (supported: gpt2, llama)", gguf.name(), *model_name);
  }

  auto n = tokenizer::Normalizer::FromJson(normalizer);
  if (!n.ok()) return n.status().WithContext(gguf.name());
  tok->normalizer_ = std::move(n).value();
  auto p = tokenizer::PreTokenizer::FromJson(pre_tokenizer);
  if (!p.ok()) return p.status().WithContext(gguf.name());
  tok->pre_tokenizer_ = std::move(p).value();
  auto d = tokenizer::Decoder::FromJson(decoder);
  if (!d.ok()) return d.status().WithContext(gguf.name());
  tok->decoder_ = std::move(d).value();
  tok->added_ = tokenizer::AddedVocabulary(std::move(added), [](const std::string& s) { return s; });

  const bool default_bos = *model_name == "llama";
  std::vector<int32_t> prefix, suffix;
  if (OptionalBool(gguf, "tokenizer.ggml.add_bos_token", default_bos) && tok->bos_id_) prefix.push_back(*tok->bos_id_);
  if (OptionalBool(gguf, "tokenizer.ggml.add_eos_token", false) && tok->eos_id_) suffix.push_back(*tok->eos_id_);
  tok->post_processor_ = tokenizer::PostProcessor::Wrap(std::move(prefix), std::move(suffix));
  return tok;
}

}  // namespace sgl
