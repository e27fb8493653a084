#include "lang/fork_group.h"

#include <set>
#include <thread>

namespace sgl::lang {

ForkGroup& ForkGroup::operator+=(const Expr& expr) {
  ForEach([&expr](State& s, size_t) { s += expr; });
  return *this;
}

ForkGroup& ForkGroup::operator+=(const std::function<Expr(size_t)>& expr_for) {
  ForEach([&expr_for](State& s, size_t i) { s += expr_for(i); });
  return *this;
}

void ForkGroup::ForEach(const std::function<void(State&, size_t)>& body) {
  std::vector<std::jthread> threads;
  threads.reserve(branches_.size());
  for (size_t i = 0; i < branches_.size(); ++i) threads.emplace_back([this, &body, i] { body(branches_[i], i); });
}

void ForkGroup::Join() {
  std::set<std::string> parent_names;
  for (const auto& [name, value] : parent_->vars_) parent_names.insert(name);
  for (const State& branch : branches_) {
    if (!branch.ok() && parent_->ok()) parent_->status_ = branch.status();
    for (const auto& [name, value] : branch.vars_) {
      if (parent_names.contains(name)) continue;
      auto it = parent_->vars_.find(name);
      if (it == parent_->vars_.end()) parent_->vars_[name] = Value::List({});
      parent_->vars_[name].Append(value);
    }
  }
}

}  // namespace sgl::lang
