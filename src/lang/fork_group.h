// ForkGroup: the branches State::fork made. Each branch is a State of its own that starts
// from the parent's text, messages and variables; `+=` on the group runs the expression
// on every branch concurrently (one thread per branch), and Join() copies the variables
// the branches added back into the parent, each as the list of the branches' values
// (SGLang's join "gather_variable"). The parent must outlive the group; use the group
// from one thread.
#pragma once

#include <functional>
#include <vector>

#include "lang/state.h"

namespace sgl::lang {

class ForkGroup {
 public:
  ForkGroup(State& parent, std::vector<State> branches) : parent_(&parent), branches_(std::move(branches)) {}

  size_t size() const { return branches_.size(); }
  State& operator[](size_t i) { return branches_[i]; }
  const State& operator[](size_t i) const { return branches_[i]; }

  // The same expression on every branch, concurrently.
  ForkGroup& operator+=(const Expr& expr);
  // expr_for(i) on branch i, concurrently.
  ForkGroup& operator+=(const std::function<Expr(size_t)>& expr_for);
  // Runs body(branch, i) for every branch, each on its own thread; returns when all are done.
  void ForEach(const std::function<void(State&, size_t)>& body);

  // Gathers the branches' new variables into the parent; a branch's error becomes the
  // parent's. Call once, after the branches are done.
  void Join();

 private:
  State* parent_;
  std::vector<State> branches_;
};

}  // namespace sgl::lang
