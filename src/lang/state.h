// State: one run of a program: the prompt text built so far, the chat messages, the
// variables gen/select captured, and the first error. `s += expr` executes the expression
// at once (a gen calls the backend and waits), so a State is used by one thread at a
// time; forks are separate States that may run on separate threads. After an error every
// further `+=` is a no-op and status() says what went wrong (SGLang's state.error()).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lang/expr.h"
#include "lang/role_template.h"
#include "lang/run_options.h"
#include "lang/value.h"

namespace sgl::lang {

class ForkGroup;

class State {
 public:
  // A fresh state; a missing backend or unknown role template leaves it failed.
  static State Create(const RunOptions& options);

  State& operator+=(const Expr& expr);

  const std::string& text() const { return text_; }
  const std::vector<Message>& messages() const { return messages_; }
  // The variable `name`, or an empty Value when there is none.
  const Value& operator[](const std::string& name) const;
  bool contains(const std::string& name) const { return vars_.contains(name); }
  void set(const std::string& name, Value value) { vars_[name] = std::move(value); }
  const std::map<std::string, Value>& variables() const { return vars_; }
  // meta_info of the gen that produced `name`.
  std::optional<GenMeta> meta(const std::string& name) const;
  const Status& status() const { return status_; }
  bool ok() const { return status_.ok(); }
  const RoleTemplate& role_template() const { return template_; }

  // n copies of this state that continue from here (see ForkGroup). With n > 1 the text
  // so far is prefilled first so the branches share its KV.
  ForkGroup fork(int n);

 private:
  friend class ForkGroup;
  State() = default;
  State Branch() const;

  void Execute(const Node& n);
  // Program text; inside a role, "<image>path-or-url</image>" in it is an image.
  void AppendText(const std::string& value);
  void Fill(const std::string& value);
  void Gen(const node::Gen& g);
  void Select(const node::Select& s);
  void RoleBegin(const std::string& role);
  void RoleEnd(const std::string& role);
  void Image(const node::Image& image);
  Prompt CurrentPrompt() const { return {text_, images_}; }

  RunOptions options_;
  RoleTemplate template_;
  std::string text_;
  std::vector<Message> messages_;
  std::map<std::string, Value> vars_;
  std::map<std::string, GenMeta> meta_;
  std::optional<std::string> cur_role_;
  size_t cur_role_begin_pos_ = 0;
  std::vector<std::string> images_;      // base64, every image so far
  std::vector<std::string> cur_images_;  // base64, this role's images
  Status status_;
  Value empty_;
};

}  // namespace sgl::lang
