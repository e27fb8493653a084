// RoleTemplate: how SGLang's Python frontend (sglang/lang/chat_template.py) wraps chat
// roles in text: a fixed prefix and suffix per role, an optional default system prompt,
// extra stop strings for gen, and the text an image stands for. Immutable value type.
// This is the frontend's own registry, not the model's Jinja template: the frontend
// language builds prompts this way, so programs here build the same text as there.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sgl::lang {

// One finished chat turn, as the frontend records it (OpenAI message shape).
struct Message {
  std::string role;     // "system", "user", "assistant"
  std::string content;  // the role's text, leading whitespace stripped
  std::vector<std::string> images_base64;
};

struct RoleTemplate {
  enum class Style { kPlain, kLlama2 };

  std::string name;
  std::optional<std::string> default_system_prompt;
  std::map<std::string, std::pair<std::string, std::string>> role_prefix_and_suffix;
  std::vector<std::string> stop_str;
  std::string image_token = "<image>";
  Style style = Style::kPlain;

  // The prefix and suffix of `role` given the turns before it (kLlama2 folds the first
  // system prompt into the first user turn). Unknown roles get ("", "").
  std::pair<std::string, std::string> PrefixAndSuffix(const std::string& role, const std::vector<Message>& history) const;
};

}  // namespace sgl::lang
