// The post-processors, as HF's process_encodings: each maps the list of sequence
// encodings to the list of pieces the Tokenizer concatenates.
#include "tokenizer/post_processor.h"

#include <nlohmann/json.hpp>
#include <optional>

#include "tokenizer/json_int.h"

namespace sgl::tokenizer {
namespace {

Encoding Tokens(std::vector<int32_t> ids, int32_t type_id) {
  Encoding e;
  e.type_ids.assign(ids.size(), type_id);
  e.ids = std::move(ids);
  return e;
}

// A template piece: sequence `sequence` (0 = $A, 1 = $B) or special-token ids.
struct TemplatePiece {
  std::optional<int> sequence;
  std::vector<int32_t> ids;
  int32_t type_id = 0;
};

class TemplatePostProcessor final : public PostProcessor {
 public:
  TemplatePostProcessor(std::vector<TemplatePiece> single, std::vector<TemplatePiece> pair)
      : single_(std::move(single)), pair_(std::move(pair)) {}
  std::vector<Encoding> Process(std::vector<Encoding> parts, bool add_special_tokens) const override {
    std::vector<Encoding> out;
    for (const TemplatePiece& piece : parts.size() == 2 ? pair_ : single_) {
      if (piece.sequence) {
        if (static_cast<size_t>(*piece.sequence) >= parts.size()) continue;
        Encoding e = parts[*piece.sequence];
        e.type_ids.assign(e.ids.size(), piece.type_id);
        out.push_back(std::move(e));
      } else if (add_special_tokens) {
        out.push_back(Tokens(piece.ids, piece.type_id));
      }
    }
    return out;
  }

 private:
  std::vector<TemplatePiece> single_, pair_;
};

// BertProcessing: [CLS] A [SEP] (B [SEP]); RobertaProcessing: <s> A </s> (</s> B </s>),
// and RoBERTa has no token types: every type id is 0, with or without special tokens.
class BertLikePostProcessor final : public PostProcessor {
 public:
  BertLikePostProcessor(int32_t cls, int32_t sep, bool roberta) : cls_(cls), sep_(sep), roberta_(roberta) {}
  std::vector<Encoding> Process(std::vector<Encoding> parts, bool add_special_tokens) const override {
    if (roberta_) {
      for (Encoding& part : parts) part.type_ids.assign(part.ids.size(), 0);
    }
    if (!add_special_tokens) return parts;
    std::vector<Encoding> out;
    for (size_t i = 0; i < parts.size(); ++i) {
      const bool first = i == 0;
      if (first || roberta_) out.push_back(Tokens({first ? cls_ : sep_}, 0));
      out.push_back(std::move(parts[i]));
      out.push_back(Tokens({sep_}, first || roberta_ ? 0 : 1));
    }
    return out;
  }

 private:
  int32_t cls_, sep_;
  bool roberta_;
};

class IdentityPostProcessor final : public PostProcessor {
 public:
  std::vector<Encoding> Process(std::vector<Encoding> parts, bool) const override { return parts; }
};

class SequencePostProcessor final : public PostProcessor {
 public:
  explicit SequencePostProcessor(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  std::vector<Encoding> Process(std::vector<Encoding> parts, bool add_special_tokens) const override {
    for (const auto& step : steps_) {
      // HF hands each step the previous step's pieces; only identity steps may follow
      // a template (which would otherwise see more than two sequences).
      if (parts.size() > 2) break;
      parts = step->Process(std::move(parts), add_special_tokens);
    }
    return parts;
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

Result<std::vector<TemplatePiece>> ParseTemplate(const nlohmann::json& items, const nlohmann::json& special_tokens) {
  std::vector<TemplatePiece> pieces;
  for (const auto& item : items) {
    TemplatePiece piece;
    if (item.contains("Sequence")) {
      const std::string id = item["Sequence"].value("id", std::string("A"));
      if (id != "A" && id != "B") return InvalidArgument("TemplateProcessing: unknown sequence '{}'", id);
      piece.sequence = id == "A" ? 0 : 1;
      auto type_id = ReadIntField(item["Sequence"], "type_id", 0, 0, INT32_MAX);
      if (!type_id.ok()) return type_id.status();
      piece.type_id = static_cast<int32_t>(*type_id);
    } else if (item.contains("SpecialToken")) {
      const std::string name = item["SpecialToken"].at("id").get<std::string>();
      if (!special_tokens.contains(name)) return InvalidArgument("TemplateProcessing: special token '{}' is not defined", name);
      for (const auto& id : special_tokens.at(name).at("ids")) {
        auto value = ReadInt(id, 0, INT32_MAX, "TemplateProcessing special token id");
        if (!value.ok()) return value.status();
        piece.ids.push_back(static_cast<int32_t>(*value));
      }
      auto type_id = ReadIntField(item["SpecialToken"], "type_id", 0, 0, INT32_MAX);
      if (!type_id.ok()) return type_id.status();
      piece.type_id = static_cast<int32_t>(*type_id);
    } else {
      return InvalidArgument("TemplateProcessing: unknown template piece {}", item.dump());
    }
    pieces.push_back(std::move(piece));
  }
  return pieces;
}

Result<std::unique_ptr<PostProcessor>> TemplateFromJson(const nlohmann::json& config) {
  const auto& special_tokens = config.value("special_tokens", nlohmann::json::object());
  auto single = ParseTemplate(config.at("single"), special_tokens);
  if (!single.ok()) return single.status();
  auto pair = ParseTemplate(config.value("pair", nlohmann::json::array()), special_tokens);
  if (!pair.ok()) return pair.status();
  return std::unique_ptr<PostProcessor>(new TemplatePostProcessor(std::move(single).value(), std::move(pair).value()));
}

// {"sep": ["</s>", 2], "cls": ["<s>", 0]}
Result<int32_t> TokenId(const nlohmann::json& config, const char* key) {
  const auto& entry = config.at(key);
  if (!entry.is_array() || entry.size() != 2) return InvalidArgument("post_processor {} is not [token, id]", key);
  auto id = ReadInt(entry[1], 0, INT32_MAX, key);
  if (!id.ok()) return id.status();
  return static_cast<int32_t>(*id);
}

}  // namespace

std::unique_ptr<PostProcessor> PostProcessor::Wrap(std::vector<int32_t> prefix, std::vector<int32_t> suffix) {
  std::vector<TemplatePiece> single, pair;
  auto add = [](std::vector<TemplatePiece>& pieces, const std::vector<int32_t>& ids, int32_t type_id) {
    if (!ids.empty()) pieces.push_back({std::nullopt, ids, type_id});
  };
  add(single, prefix, 0);
  single.push_back({0, {}, 0});
  add(single, suffix, 0);
  pair = single;
  add(pair, prefix, 1);
  pair.push_back({1, {}, 1});
  add(pair, suffix, 1);
  return std::unique_ptr<PostProcessor>(new TemplatePostProcessor(std::move(single), std::move(pair)));
}

Result<std::unique_ptr<PostProcessor>> PostProcessor::FromJson(const nlohmann::json& config) {
  if (config.is_null()) return std::unique_ptr<PostProcessor>();
  if (!config.is_object() || !config.contains("type")) return InvalidArgument("post_processor without a type");
  const std::string type = config.at("type").get<std::string>();
  if (type == "TemplateProcessing") return TemplateFromJson(config);
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    auto cls = TokenId(config, "cls");
    if (!cls.ok()) return cls.status();
    auto sep = TokenId(config, "sep");
    if (!sep.ok()) return sep.status();
    return std::unique_ptr<PostProcessor>(new BertLikePostProcessor(*cls, *sep, type == "RobertaProcessing"));
  }
  if (type == "ByteLevel") return std::unique_ptr<PostProcessor>(new IdentityPostProcessor());
  if (type == "Sequence") {
    std::vector<std::unique_ptr<PostProcessor>> steps;
    for (const auto& step_config : config.at("processors")) {
      auto step = FromJson(step_config);
      if (!step.ok()) return step.status();
      if (*step) steps.push_back(std::move(step).value());
    }
    return std::unique_ptr<PostProcessor>(new SequencePostProcessor(std::move(steps)));
  }
  return Unsupported("tokenizer post_processor '{}' is not supported (supported: TemplateProcessing, BertProcessing, "
                     "RobertaProcessing, ByteLevel, Sequence)",
                     type);
}

}  // namespace sgl::tokenizer
