#include "constrain/pda_runner.h"

namespace sgl::constrain {

void PdaRunner::Close(std::span<const int32_t> seeds, StackSet& out) {
  out.ready.clear();
  out.can_end = false;
  out.escaped = false;
  if (++epoch_ == 0) {
    seen_.assign(seen_.size(), 0);
    epoch_ = 1;
  }
  work_.assign(seeds.begin(), seeds.end());
  while (!work_.empty()) {
    int32_t s = work_.back();
    work_.pop_back();
    if (static_cast<size_t>(s) >= seen_.size()) seen_.resize(static_cast<size_t>(pool_.size()) * 2 + 64, 0);
    if (seen_[s] == epoch_) continue;
    seen_[s] = epoch_;
    StackNode n = pool_.node(s);
    if (!a_.allowed_bytes(n.state).Empty()) out.ready.push_back(s);
    for (const CallEdge& c : a_.calls(n.state)) {
      int32_t ret = pool_.Intern(c.ret, n.parent);
      work_.push_back(pool_.Intern(c.callee_start, ret));
    }
    if (a_.accepting(n.state)) {
      if (n.parent == kNoParent) {
        out.can_end = true;
      } else if (n.parent == kBottom) {
        out.escaped = true;
      } else {
        work_.push_back(n.parent);
      }
    }
  }
}

void PdaRunner::Advance(const StackSet& in, uint8_t b, StackSet& out) {
  seeds_.clear();
  for (int32_t s : in.ready) {
    StackNode n = pool_.node(s);
    int32_t t = a_.Next(n.state, b);
    if (t >= 0) seeds_.push_back(pool_.Intern(t, n.parent));
  }
  Close(seeds_, out);
}

StackSet PdaRunner::Start() {
  StackSet out;
  int32_t s = pool_.Intern(a_.root_start(), kNoParent);
  Close(std::span<const int32_t>(&s, 1), out);
  return out;
}

}  // namespace sgl::constrain
