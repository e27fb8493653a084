#include "lang/state.h"

#include <algorithm>
#include <type_traits>

#include "lang/base64.h"
#include "lang/choice_selection.h"
#include "lang/fork_group.h"
#include "lang/gen_sampling.h"
#include "lang/inline_images.h"
#include "lang/role_template_registry.h"

namespace sgl::lang {
namespace {

// Python's str.lstrip() for the ASCII whitespace a role's text can start with.
std::string LeftStripped(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\n\r\v\f");
  return begin == std::string::npos ? std::string() : s.substr(begin);
}

}  // namespace

State State::Create(const RunOptions& options) {
  State s;
  s.options_ = options;
  if (!options.backend) {
    s.status_ = InvalidArgument("RunOptions has no backend");
    return s;
  }
  Result<RoleTemplate> t = options.role_template.empty() ? RoleTemplateForModelPath(options.backend->model_path())
                                                         : FindRoleTemplate(options.role_template);
  if (!t.ok()) s.status_ = t.status();
  else s.template_ = std::move(t).value();
  return s;
}

State& State::operator+=(const Expr& expr) {
  for (const Node& n : expr.nodes()) {
    if (!ok()) break;
    Execute(n);
  }
  return *this;
}

const Value& State::operator[](const std::string& name) const {
  auto it = vars_.find(name);
  return it == vars_.end() ? empty_ : it->second;
}

std::optional<GenMeta> State::meta(const std::string& name) const {
  auto it = meta_.find(name);
  if (it == meta_.end()) return std::nullopt;
  return it->second;
}

void State::Execute(const Node& n) {
  std::visit(
      [this](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, node::Text>) AppendText(x.value);
        else if constexpr (std::is_same_v<T, node::Gen>) Gen(x);
        else if constexpr (std::is_same_v<T, node::Select>) Select(x);
        else if constexpr (std::is_same_v<T, node::RoleBegin>) RoleBegin(x.role);
        else if constexpr (std::is_same_v<T, node::RoleEnd>) RoleEnd(x.role);
        else Image(x);
      },
      n);
}

void State::AppendText(const std::string& value) {
  if (!cur_role_ || value.find(kInlineImageOpen) == std::string::npos) return Fill(value);
  for (const Node& n : SplitInlineImages(value)) {
    if (!ok()) return;
    if (const auto* text = std::get_if<node::Text>(&n)) Fill(text->value);
    else Image(std::get<node::Image>(n));
  }
}

void State::Fill(const std::string& value) {
  text_ += value;
  if (options_.on_text && !value.empty()) options_.on_text(value);
}

void State::Gen(const node::Gen& g) {
  const SamplingParams sampling = ResolveGenSampling(options_.defaults, g.options, template_.stop_str);
  Result<GenOutput> out = options_.backend->Generate(CurrentPrompt(), sampling, options_.on_text);
  if (!out.ok()) {
    status_ = out.status().WithContext("gen '" + g.name + "'");
    return;
  }
  text_ += out->text;  // already streamed piece by piece
  vars_[g.name] = Value(out->text);
  meta_[g.name] = out->meta;
}

void State::Select(const node::Select& s) {
  if (s.choices.empty()) {
    status_ = InvalidArgument("select '{}' has no choices", s.name);
    return;
  }
  // Prefill the shared prefix once, then score every choice in one batch from two
  // tokens before the choice on (room for the tokenizer to merge across the boundary).
  Result<int64_t> prompt_len = options_.backend->Prefill(CurrentPrompt());
  if (!prompt_len.ok()) {
    status_ = prompt_len.status().WithContext("select '" + s.name + "'");
    return;
  }
  std::vector<std::string> texts;
  for (const std::string& c : s.choices) texts.push_back(text_ + c);
  auto logprobs = options_.backend->PromptLogprobs(texts, images_, std::max<int64_t>(*prompt_len - 2, 0));
  if (!logprobs.ok()) {
    status_ = logprobs.status().WithContext("select '" + s.name + "'");
    return;
  }
  if (logprobs->size() != s.choices.size()) {
    status_ = Status(StatusCode::kInternal, "select: the backend scored the wrong number of choices");
    return;
  }
  const ChoiceDecision d = TokenLengthNormalized(text_, *logprobs);
  vars_[s.name] = Value(s.choices[d.index]);
  Fill(s.choices[d.index]);
}

void State::RoleBegin(const std::string& role) {
  if (cur_role_) {
    status_ = InvalidArgument("role '{}' begins inside role '{}': nested roles are not allowed", role, *cur_role_);
    return;
  }
  if (messages_.empty() && role != "system" && template_.default_system_prompt &&
      !template_.default_system_prompt->empty()) {
    RoleBegin("system");
    Fill(*template_.default_system_prompt);
    RoleEnd("system");
  }
  cur_role_ = role;
  Fill(template_.PrefixAndSuffix(role, messages_).first);
  cur_role_begin_pos_ = text_.size();
}

void State::RoleEnd(const std::string& role) {
  if (!cur_role_) {
    status_ = InvalidArgument("role '{}' ends but no role began", role);
    return;
  }
  cur_role_.reset();
  Message m{role, LeftStripped(text_.substr(cur_role_begin_pos_)), std::move(cur_images_)};
  cur_images_.clear();
  Fill(template_.PrefixAndSuffix(role, messages_).second);
  messages_.push_back(std::move(m));
}

void State::Image(const node::Image& image) {
  if (!image.error.empty()) {
    status_ = InvalidArgument("{}", image.error);
    return;
  }
  std::string data = Base64Encode(image.bytes);
  images_.push_back(data);
  cur_images_.push_back(std::move(data));
  Fill(template_.image_token);
}

State State::Branch() const {
  State b;
  b.options_ = options_;
  b.options_.on_text = nullptr;
  b.template_ = template_;
  b.text_ = text_;
  b.messages_ = messages_;
  b.vars_ = vars_;
  b.cur_role_ = cur_role_;
  b.cur_role_begin_pos_ = cur_role_begin_pos_;
  b.images_ = images_;
  b.status_ = status_;
  return b;
}

ForkGroup State::fork(int n) {
  if (ok() && n > 1 && !text_.empty()) {
    Result<int64_t> prefilled = options_.backend->Prefill(CurrentPrompt());
    if (!prefilled.ok()) status_ = prefilled.status().WithContext("fork");
  }
  std::vector<State> branches;
  for (int i = 0; i < n; ++i) branches.push_back(Branch());
  return ForkGroup(*this, std::move(branches));
}

}  // namespace sgl::lang
