#include "tokenizer/chat_prompt.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "format/gguf_file.h"
#include "format/json_document.h"

namespace sgl {
namespace {

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("{}: cannot be read", path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// tokenizer_config.json's chat_template: a string, or a list of {name, template} (the
// "default" one is used).
Result<std::string> TemplateFromConfig(const nlohmann::json& config, const std::string& file) {
  auto it = config.find("chat_template");
  if (it == config.end() || it->is_null()) return NotFound("{}: no chat_template", file);
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array())
    for (const auto& entry : *it)
      if (entry.is_object() && entry.value("name", "") == "default" && entry.contains("template") &&
          entry["template"].is_string())
        return entry["template"].get<std::string>();
  return InvalidArgument("{}: chat_template has no usable default template", file);
}

Result<std::string> TemplateSource(const std::string& model_path) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(model_path)) {
    SGL_ASSIGN_OR_RETURN(auto gguf, GgufFile::Open(model_path));
    if (gguf->Find("tokenizer.chat_template") == nullptr)
      return NotFound("{}: the model has no chat template (tokenizer.chat_template)", model_path);
    return gguf->GetString("tokenizer.chat_template");
  }
  const fs::path jinja = fs::path(model_path) / "chat_template.jinja";
  if (fs::exists(jinja)) return ReadFile(jinja);
  const fs::path config_path = fs::path(model_path) / "tokenizer_config.json";
  if (!fs::exists(config_path)) return NotFound("{}: the model has no chat template", model_path);
  SGL_ASSIGN_OR_RETURN(std::string text, ReadFile(config_path));
  auto config = ParseJsonDocument(text);
  if (!config.ok()) return config.status().WithContext(config_path.string());
  if (!config->is_object()) return InvalidArgument("{}: not a JSON object", config_path.string());
  return TemplateFromConfig(*config, config_path.string());
}

}  // namespace

Result<ChatPrompt> ChatPrompt::Load(const std::string& model_path, const Tokenizer& tokenizer) {
  SGL_ASSIGN_OR_RETURN(std::string source, TemplateSource(model_path));
  auto tmpl = ChatTemplate::Parse(std::move(source));
  if (!tmpl.ok()) return tmpl.status().WithContext(model_path + ": chat template");
  return ChatPrompt(std::move(tmpl).value(), tokenizer);
}

Result<ChatPrompt> ChatPrompt::FromUser(const std::string& file_or_source, const Tokenizer& tokenizer) {
  std::string source = file_or_source;
  if (std::filesystem::is_regular_file(file_or_source)) {
    SGL_ASSIGN_OR_RETURN(source, ReadFile(file_or_source));
  }
  auto tmpl = ChatTemplate::Parse(std::move(source));
  if (!tmpl.ok()) return tmpl.status().WithContext("--chat-template");
  return ChatPrompt(std::move(tmpl).value(), tokenizer);
}

Result<std::string> ChatPrompt::Render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                       const nlohmann::ordered_json& extra) const {
  nlohmann::ordered_json context = extra.is_object() ? extra : nlohmann::ordered_json::object();
  context["messages"] = messages;
  context["add_generation_prompt"] = add_generation_prompt;
  auto token_text = [&](std::optional<int32_t> id) {
    return id ? tokenizer_->Decode(std::vector<int32_t>{*id}, /*skip_special_tokens=*/false) : std::string();
  };
  context["bos_token"] = token_text(tokenizer_->bos_id());
  context["eos_token"] = token_text(tokenizer_->eos_id());
  return template_.Render(context);
}

Result<std::vector<int32_t>> ChatPrompt::Encode(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                                const nlohmann::ordered_json& extra) const {
  SGL_ASSIGN_OR_RETURN(std::string text, Render(messages, add_generation_prompt, extra));
  return tokenizer_->Encode(text, /*add_special_tokens=*/false);
}

}  // namespace sgl
