// TemplateProcessing is the only post-processor that changes ids; it is stored as a
// list of pieces, each either the sequence or a run of special-token ids.
#include "tokenizer/post_processor.h"

#include <nlohmann/json.hpp>

namespace sgl::tokenizer {
namespace {

class TemplatePostProcessor final : public PostProcessor {
 public:
  // An empty optional in `pieces` stands for the sequence itself.
  explicit TemplatePostProcessor(std::vector<std::optional<std::vector<int32_t>>> pieces) : pieces_(std::move(pieces)) {}
  std::vector<int32_t> Process(std::vector<int32_t> ids) const override {
    std::vector<int32_t> out;
    for (const auto& piece : pieces_) {
      if (piece) {
        out.insert(out.end(), piece->begin(), piece->end());
      } else {
        out.insert(out.end(), ids.begin(), ids.end());
      }
    }
    return out;
  }

 private:
  std::vector<std::optional<std::vector<int32_t>>> pieces_;
};

class IdentityPostProcessor final : public PostProcessor {
 public:
  std::vector<int32_t> Process(std::vector<int32_t> ids) const override { return ids; }
};

class SequencePostProcessor final : public PostProcessor {
 public:
  explicit SequencePostProcessor(std::vector<std::unique_ptr<PostProcessor>> steps) : steps_(std::move(steps)) {}
  std::vector<int32_t> Process(std::vector<int32_t> ids) const override {
    for (const auto& step : steps_) ids = step->Process(std::move(ids));
    return ids;
  }

 private:
  std::vector<std::unique_ptr<PostProcessor>> steps_;
};

Result<std::unique_ptr<PostProcessor>> TemplateFromJson(const nlohmann::json& config) {
  std::vector<std::optional<std::vector<int32_t>>> pieces;
  const auto& special_tokens = config.value("special_tokens", nlohmann::json::object());
  for (const auto& item : config.at("single")) {
    if (item.contains("Sequence")) {
      if (item["Sequence"].value("id", std::string("A")) != "A") {
        return InvalidArgument("TemplateProcessing: single template uses sequence '{}'", item["Sequence"].dump());
      }
      pieces.emplace_back(std::nullopt);
    } else if (item.contains("SpecialToken")) {
      const std::string name = item["SpecialToken"].at("id").get<std::string>();
      if (!special_tokens.contains(name)) return InvalidArgument("TemplateProcessing: special token '{}' is not defined", name);
      pieces.emplace_back(special_tokens.at(name).at("ids").get<std::vector<int32_t>>());
    } else {
      return InvalidArgument("TemplateProcessing: unknown template piece {}", item.dump());
    }
  }
  return std::unique_ptr<PostProcessor>(new TemplatePostProcessor(std::move(pieces)));
}

}  // namespace

std::unique_ptr<PostProcessor> PostProcessor::Wrap(std::vector<int32_t> prefix, std::vector<int32_t> suffix) {
  std::vector<std::optional<std::vector<int32_t>>> pieces;
  if (!prefix.empty()) pieces.emplace_back(std::move(prefix));
  pieces.emplace_back(std::nullopt);
  if (!suffix.empty()) pieces.emplace_back(std::move(suffix));
  return std::unique_ptr<PostProcessor>(new TemplatePostProcessor(std::move(pieces)));
}

Result<std::unique_ptr<PostProcessor>> PostProcessor::FromJson(const nlohmann::json& config) {
  if (config.is_null()) return std::unique_ptr<PostProcessor>();
  if (!config.is_object() || !config.contains("type")) return InvalidArgument("post_processor without a type");
  const std::string type = config.at("type").get<std::string>();
  if (type == "TemplateProcessing") return TemplateFromJson(config);
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
  return Unsupported("tokenizer post_processor '{}' is not supported (supported: TemplateProcessing, ByteLevel, "
                     "Sequence)",
                     type);
}

}  // namespace sgl::tokenizer
