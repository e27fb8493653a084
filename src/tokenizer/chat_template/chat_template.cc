// ChatTemplate: lexer + parser at construction, one Evaluator per render.
#include "tokenizer/chat_template/chat_template.h"

#include "tokenizer/chat_template/lexer.h"
#include "tokenizer/chat_template/parser.h"

namespace sgl {

Result<ChatTemplate> ChatTemplate::Parse(std::string source, jinja::RenderLimits limits) {
  SGL_ASSIGN_OR_RETURN(std::vector<jinja::Token> tokens, jinja::Tokenize(source, jinja::LexerOptions{}));
  SGL_ASSIGN_OR_RETURN(jinja::Body root, jinja::Parse(tokens, source));
  ChatTemplate t;
  t.source_ = std::make_shared<const std::string>(std::move(source));
  t.root_ = std::make_shared<const jinja::Body>(std::move(root));
  t.limits_ = limits;
  return t;
}

Result<std::string> ChatTemplate::RenderValue(const jinja::Value& context) const {
  if (!context.is_dict()) return InvalidArgument("chat template context must be a JSON object");
  jinja::Evaluator evaluator(*source_, limits_);
  return evaluator.Render(*root_, context.as_dict());
}

Result<std::string> ChatTemplate::Render(const nlohmann::json& context) const {
  SGL_ASSIGN_OR_RETURN(jinja::Value value, jinja::FromJson(context));
  return RenderValue(value);
}

Result<std::string> ChatTemplate::Render(const nlohmann::ordered_json& context) const {
  SGL_ASSIGN_OR_RETURN(jinja::Value value, jinja::FromJson(context));
  return RenderValue(value);
}

}  // namespace sgl
