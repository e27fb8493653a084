#include "constrain/grammar_matcher.h"

#include <algorithm>
#include <limits>

namespace sgl::constrain {
namespace {

inline void SetBit(std::span<uint32_t> mask, int32_t id) { mask[id >> 5] |= 1u << (id & 31); }
inline bool GetBit(std::span<const uint32_t> mask, int32_t id) { return (mask[id >> 5] >> (id & 31)) & 1; }

// The pool keeps every stack ever made; past this many nodes the live ones are copied out.
constexpr int32_t kCompactNodes = 1 << 20;

}  // namespace

GrammarMatcher::GrammarMatcher(std::shared_ptr<const CompiledGrammar> grammar)
    : grammar_(std::move(grammar)), runner_(grammar_->automaton(), pool_) {
  Reset();
}

void GrammarMatcher::Reset() {
  pool_.Clear();
  history_.clear();
  history_.push_back({runner_.Start(), false});
}

bool GrammarMatcher::Run(const StackSet& from, std::string_view bytes, StackSet& out) {
  scratch_a_ = from;
  for (size_t i = 0; i < bytes.size(); ++i) {
    runner_.Advance(scratch_a_, static_cast<uint8_t>(bytes[i]), scratch_b_);
    std::swap(scratch_a_, scratch_b_);
    // With no stack left, only the very last byte may finish the grammar.
    if (scratch_a_.ready.empty() && (!scratch_a_.can_end || i + 1 < bytes.size())) return false;
  }
  out = scratch_a_;
  return true;
}

bool GrammarMatcher::AcceptToken(int32_t id) {
  const TokenVocabulary& v = grammar_->vocab();
  if (terminated()) return false;
  if (v.is_stop(id)) {
    if (!current().can_end) return false;
    history_.push_back({current(), true});
    return true;
  }
  if (!v.is_ordinary(id)) return false;
  return AcceptString(v.token_bytes(id));
}

bool GrammarMatcher::AcceptString(std::string_view bytes) {
  if (terminated() || bytes.empty()) return false;
  StackSet next;
  if (!Run(current(), bytes, next)) return false;
  history_.push_back({std::move(next), false});
  CompactPoolIfLarge();
  return true;
}

bool GrammarMatcher::TokenFitsStack(int32_t stack, const std::string& bytes) {
  StackSet start;
  start.ready.push_back(stack);
  StackSet out;
  return Run(start, bytes, out);
}

void GrammarMatcher::FillNextTokenBitmask(std::span<uint32_t> bitmask) {
  const TokenVocabulary& v = grammar_->vocab();
  std::fill(bitmask.begin(), bitmask.end(), 0u);
  if (terminated()) return;
  const StackSet& cur = current();
  for (int32_t s : cur.ready) {
    const StateTokenMask& m = grammar_->state_mask(pool_.node(s).state);
    if (!m.accepted_bits.empty()) {
      for (size_t w = 0; w < m.accepted_bits.size(); ++w) bitmask[w] |= m.accepted_bits[w];
    } else {
      for (int32_t id : m.accepted_ids) SetBit(bitmask, id);
    }
  }
  // Checked after every state's accepted set, so tokens already allowed are skipped.
  for (int32_t s : cur.ready) {
    const StateTokenMask& m = grammar_->state_mask(pool_.node(s).state);
    for (int32_t id : m.uncertain_ids) {
      if (!GetBit(bitmask, id) && TokenFitsStack(s, v.token_bytes(id))) SetBit(bitmask, id);
    }
  }
  if (cur.can_end) {
    for (int32_t id : v.stop_ids()) SetBit(bitmask, id);
  }
}

Status GrammarMatcher::Rollback(int32_t num_steps_back) {
  if (num_steps_back < 0 || num_steps_back > num_steps()) {
    return InvalidArgument("grammar rollback of {} steps, but only {} were accepted", num_steps_back, num_steps());
  }
  history_.resize(history_.size() - num_steps_back);
  return Status::Ok();
}

std::string GrammarMatcher::FindJumpForwardString(size_t max_bytes) {
  std::string out;
  if (terminated()) return out;
  StackSet cur = current(), next;
  while (out.size() < max_bytes && !cur.can_end && !cur.ready.empty()) {
    ByteSet allowed;
    for (int32_t s : cur.ready) allowed.Union(grammar_->automaton().allowed_bytes(pool_.node(s).state));
    if (allowed.Count() != 1) break;
    int b = 0;
    while (!allowed.Contains(static_cast<uint8_t>(b))) ++b;
    runner_.Advance(cur, static_cast<uint8_t>(b), next);
    std::swap(cur, next);
    out += static_cast<char>(b);
  }
  return out;
}

// Copies the stacks the history still uses into a fresh pool (parents before children,
// since a parent always has the smaller id) and renumbers the history.
void GrammarMatcher::CompactPoolIfLarge() {
  if (pool_.size() < kCompactNodes) return;
  std::vector<int32_t> remap(pool_.size(), -1);
  std::vector<uint8_t> live(pool_.size(), 0);
  for (const Step& st : history_) {
    for (int32_t s : st.set.ready) {
      for (int32_t n = s; n >= 0 && !live[n]; n = pool_.node(n).parent) live[n] = 1;
    }
  }
  StackPool fresh;
  for (int32_t id = 0; id < pool_.size(); ++id) {
    if (!live[id]) continue;
    StackNode n = pool_.node(id);
    remap[id] = fresh.Intern(n.state, n.parent < 0 ? n.parent : remap[n.parent]);
  }
  for (Step& st : history_) {
    for (int32_t& s : st.set.ready) s = remap[s];
  }
  pool_ = std::move(fresh);
}

void ApplyTokenBitmask(std::span<float> logits, std::span<const uint32_t> bitmask) {
  const float kNegInf = -std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < logits.size(); ++i) {
    size_t w = i >> 5;
    if (w >= bitmask.size() || !((bitmask[w] >> (i & 31)) & 1)) logits[i] = kNegInf;
  }
}

}  // namespace sgl::constrain
