// ChatTemplate: a Hugging Face chat template (Jinja2), parsed once and rendered per
// request byte-identically to transformers' apply_chat_template (jinja2 sandbox with
// trim_blocks, lstrip_blocks, loopcontrols, tojson/raise_exception/strftime_now).
// Immutable after Parse: Render is const and safe to call from many threads at once.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "tokenizer/chat_template/ast.h"
#include "tokenizer/chat_template/evaluator.h"

namespace sgl {

class ChatTemplate {
 public:
  // Fails with the line and column of the first syntax error.
  static Result<ChatTemplate> Parse(std::string source, jinja::RenderLimits limits = {});

  // `context` is an object: messages, tools, add_generation_prompt, bos_token, eos_token
  // and any extra variables (enable_thinking, ...). Errors: raise_exception's message,
  // undefined misuse, type errors, exceeded limits. Key order of objects is kept when the
  // caller passes nlohmann::ordered_json (plain json has sorted keys, which tojson shows).
  Result<std::string> Render(const nlohmann::json& context) const;
  Result<std::string> Render(const nlohmann::ordered_json& context) const;

  const std::string& source() const { return *source_; }

 private:
  Result<std::string> RenderValue(const jinja::Value& context) const;

  std::shared_ptr<const std::string> source_;  // normalized; the tree's positions point into it
  std::shared_ptr<const jinja::Body> root_;
  jinja::RenderLimits limits_;
};

}  // namespace sgl
