// ChatPrompt: a model's chat template (a GGUF's `tokenizer.chat_template`, or an HF
// folder's chat_template.jinja / tokenizer_config.json `chat_template`) applied the way
// transformers' apply_chat_template(tokenize=True) does: render the messages with
// bos_token, eos_token and add_generation_prompt, then encode the text without adding
// special tokens. Immutable after Load; safe to use from many threads.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "tokenizer/chat_template/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace sgl {

class ChatPrompt {
 public:
  // `tokenizer` must outlive the ChatPrompt. Fails when the model has no chat template.
  static Result<ChatPrompt> Load(const std::string& model_path, const Tokenizer& tokenizer);
  // A template given by the user (`--chat-template`): a file path, or else the template text.
  static Result<ChatPrompt> FromUser(const std::string& file_or_source, const Tokenizer& tokenizer);

  // `extra` (an object, may be null) adds variables such as `tools` or a template's own
  // kwargs (e.g. enable_thinking); it cannot override messages or the special tokens.
  Result<std::string> Render(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                             const nlohmann::ordered_json& extra = nullptr) const;
  Result<std::vector<int32_t>> Encode(const nlohmann::ordered_json& messages, bool add_generation_prompt,
                                      const nlohmann::ordered_json& extra = nullptr) const;

 private:
  ChatPrompt(ChatTemplate tmpl, const Tokenizer& tokenizer) : template_(std::move(tmpl)), tokenizer_(&tokenizer) {}
  ChatTemplate template_;
  const Tokenizer* tokenizer_;
};

}  // namespace sgl
