// Tokenizer: the HF pipeline (added tokens -> normalizer -> pre-tokenizer -> model ->
// post-processor) and its tokenizer.json loader.
#include "tokenizer/tokenizer.h"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "format/gguf_file.h"
#include "tokenizer/json_int.h"
#include "tokenizer/utf8.h"

namespace sgl {
namespace {

Result<nlohmann::json> ReadJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("{}: cannot open", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto json = nlohmann::json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Corrupt("{}: not valid JSON", path);
  return json;
}

// tokenizer_config.json spells a special token as a string or as {"content": ...}.
std::optional<std::string> SpecialTokenContent(const nlohmann::json& config, const char* key) {
  if (!config.contains(key)) return std::nullopt;
  const auto& value = config.at(key);
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value.at("content").is_string()) {
    return value.at("content").get<std::string>();
  }
  return std::nullopt;
}

// Deepest nesting of arrays and objects in JSON text (strings skipped), so that the
// recursive component loaders never see a document deep enough to exhaust the stack.
size_t JsonNestingDepth(std::string_view text) {
  size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

constexpr size_t kMaxJsonDepth = 128;

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromJsonText(std::string_view text) {
  if (JsonNestingDepth(text) > kMaxJsonDepth) return Corrupt("tokenizer.json nests deeper than {} levels", kMaxJsonDepth);
  const auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Corrupt("tokenizer.json is not valid JSON");
  if (!json.is_object()) return Corrupt("tokenizer.json is not a JSON object");
  std::unique_ptr<Tokenizer> tok(new Tokenizer());
  try {
    const auto& model = json.at("model");
    auto loaded = tokenizer::Model::FromJson(model);
    if (!loaded.ok()) return loaded.status();
    tok->model_ = std::move(loaded).value();
    auto normalizer = tokenizer::Normalizer::FromJson(json.value("normalizer", nlohmann::json()));
    if (!normalizer.ok()) return normalizer.status();
    tok->normalizer_ = std::move(normalizer).value();
    auto pre = tokenizer::PreTokenizer::FromJson(json.value("pre_tokenizer", nlohmann::json()));
    if (!pre.ok()) return pre.status();
    tok->pre_tokenizer_ = std::move(pre).value();
    auto post = tokenizer::PostProcessor::FromJson(json.value("post_processor", nlohmann::json()));
    if (!post.ok()) return post.status();
    tok->post_processor_ = std::move(post).value();
    auto decoder = tokenizer::Decoder::FromJson(json.value("decoder", nlohmann::json()));
    if (!decoder.ok()) return decoder.status();
    tok->decoder_ = std::move(decoder).value();
    std::vector<tokenizer::AddedToken> added;
    for (const auto& entry : json.value("added_tokens", nlohmann::json::array())) {
      tokenizer::AddedToken t;
      auto id = tokenizer::ReadInt(entry.at("id"), 0, INT32_MAX, "added token id");
      if (!id.ok()) return id.status();
      t.id = static_cast<int32_t>(*id);
      t.content = entry.at("content").get<std::string>();
      t.special = entry.value("special", false);
      t.single_word = entry.value("single_word", false);
      t.lstrip = entry.value("lstrip", false);
      t.rstrip = entry.value("rstrip", false);
      t.normalized = entry.value("normalized", !t.special);
      added.push_back(std::move(t));
    }
    const tokenizer::Normalizer* n = tok->normalizer_.get();
    tok->added_ = tokenizer::AddedVocabulary(std::move(added), [n](const std::string& s) { return n ? n->Normalize(s) : s; });
  } catch (const nlohmann::json::exception& e) {
    return Corrupt("unexpected tokenizer.json structure: {}", e.what());
  }
  return tok;
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromTokenizerJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("{}: cannot open", path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto loaded = FromJsonText(buffer.str());
  if (!loaded.ok()) return loaded.status().WithContext(path);
  std::unique_ptr<Tokenizer> tok = std::move(loaded).value();
  const auto config_path = std::filesystem::path(path).parent_path() / "tokenizer_config.json";
  if (std::filesystem::exists(config_path)) {
    auto config = ReadJson(config_path.string());
    if (config.ok()) {
      auto find = [&](const char* key) -> std::optional<int32_t> {
        const auto content = SpecialTokenContent(*config, key);
        if (!content) return std::nullopt;
        for (const auto& t : tok->added_.tokens())
          if (t.content == *content) return t.id;
        return tok->model_->TokenToId(*content);
      };
      tok->bos_id_ = find("bos_token");
      tok->eos_id_ = find("eos_token");
    }
  }
  return tok;
}

Result<std::unique_ptr<Tokenizer>> Tokenizer::FromModelPath(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) {
    const fs::path json = fs::path(path) / "tokenizer.json";
    if (!fs::exists(json)) return NotFound("{}: no tokenizer.json in this folder", path);
    return FromTokenizerJson(json.string());
  }
  auto gguf = GgufFile::Open(path);
  if (!gguf.ok()) return gguf.status();
  return FromGguf(**gguf);
}

void Tokenizer::EncodeText(std::string_view text, bool at_start, std::vector<int32_t>& ids) const {
  const std::string normalized = normalizer_ ? normalizer_->Normalize(text) : std::string(text);
  for (const auto& segment : added_.Split(normalized, /*normalized_tokens=*/true)) {
    if (segment.id) {
      ids.push_back(*segment.id);
      continue;
    }
    const bool piece_at_start = at_start && segment.text.data() == normalized.data();
    std::vector<tokenizer::PreToken> pieces{{std::string(segment.text), piece_at_start}};
    if (pre_tokenizer_) pre_tokenizer_->PreTokenize(pieces);
    for (const auto& piece : pieces) model_->Encode(piece.text, ids);
  }
}

std::vector<int32_t> Tokenizer::EncodeSequence(std::string_view text) const {
  const std::string valid = tokenizer::Utf8Lossy(text);
  std::vector<int32_t> ids;
  for (const auto& segment : added_.Split(valid, /*normalized_tokens=*/false)) {
    if (segment.id) {
      ids.push_back(*segment.id);
    } else {
      EncodeText(segment.text, segment.text.data() == valid.data(), ids);
    }
  }
  return ids;
}

tokenizer::Encoding Tokenizer::PostProcess(std::vector<std::vector<int32_t>> sequences, bool add_special_tokens) const {
  std::vector<tokenizer::Encoding> parts;
  for (size_t i = 0; i < sequences.size(); ++i) {
    tokenizer::Encoding part;
    part.type_ids.assign(sequences[i].size(), static_cast<int32_t>(i));
    part.ids = std::move(sequences[i]);
    parts.push_back(std::move(part));
  }
  if (post_processor_) parts = post_processor_->Process(std::move(parts), add_special_tokens);
  tokenizer::Encoding merged;
  for (const auto& part : parts) {
    merged.ids.insert(merged.ids.end(), part.ids.begin(), part.ids.end());
    merged.type_ids.insert(merged.type_ids.end(), part.type_ids.begin(), part.type_ids.end());
  }
  return merged;
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_special_tokens) const {
  std::vector<int32_t> ids = EncodeSequence(text);
  if (!add_special_tokens || !post_processor_) return ids;
  std::vector<std::vector<int32_t>> sequences;
  sequences.push_back(std::move(ids));
  return PostProcess(std::move(sequences), true).ids;
}

tokenizer::Encoding Tokenizer::EncodePair(std::string_view first, std::string_view second, bool add_special_tokens) const {
  std::vector<std::vector<int32_t>> sequences;
  sequences.push_back(EncodeSequence(first));
  sequences.push_back(EncodeSequence(second));
  return PostProcess(std::move(sequences), add_special_tokens);
}

const std::string* Tokenizer::IdToToken(int32_t id) const {
  if (const std::string* added = added_.SurfaceById(id)) return added;
  return model_->IdToToken(id);
}

std::string Tokenizer::Decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (const int32_t id : ids) {
    const std::string* token = IdToToken(id);
    if (token == nullptr || (skip_special_tokens && IsSpecial(id))) continue;
    tokens.push_back(*token);
  }
  std::string text;
  if (decoder_) {
    for (const std::string& piece : decoder_->DecodeChain(std::move(tokens), /*raw=*/false)) text += piece;
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) text += (i ? " " : "") + tokens[i];
  }
  return text;
}

std::string Tokenizer::TokenBytes(int32_t id) const {
  const std::string* token = IdToToken(id);
  if (token == nullptr) return {};
  if (!decoder_) return *token;
  std::string bytes;
  for (const std::string& piece : decoder_->DecodeChain({*token}, /*raw=*/true)) bytes += piece;
  return bytes;
}

int64_t Tokenizer::vocab_size() const {
  int64_t size = model_->size();
  for (const auto& t : added_.tokens()) size = std::max<int64_t>(size, int64_t{t.id} + 1);
  return size;
}

bool Tokenizer::IsByteFallbackToken(int32_t id) const {
  const std::string* token = IdToToken(id);
  return token != nullptr && token->size() == 6 && token->compare(0, 3, "<0x") == 0 && (*token)[5] == '>' &&
         TokenBytes(id).size() == 1;
}

bool Tokenizer::IsSpecial(int32_t id) const {
  const auto* added = added_.FindById(id);
  return added != nullptr && added->special;
}

}  // namespace sgl
