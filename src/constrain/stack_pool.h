// StackPool: persistent, hash-consed pushdown stacks. A stack is a node id; a node holds
// its top automaton state and its parent's id (kNoParent at the root, kBottom for a
// stack cut off below, used when a state's masks are computed without context). Equal
// stacks get equal ids, so sets of stacks deduplicate by id. Not thread-safe: one owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace sgl::constrain {

inline constexpr int32_t kNoParent = -1;  // below the root rule: the grammar ends there
inline constexpr int32_t kBottom = -2;    // unknown context below (mask precomputation)

struct StackNode {
  int32_t state;
  int32_t parent;
};

class StackPool {
 public:
  StackPool() { Clear(); }
  StackPool(const StackPool&) = default;
  StackPool& operator=(const StackPool&) = default;

  // The id of the stack `state` on top of `parent`, creating it if new.
  int32_t Intern(int32_t state, int32_t parent);
  const StackNode& node(int32_t id) const { return nodes_[id]; }
  int32_t size() const { return static_cast<int32_t>(nodes_.size()); }
  void Clear();

 private:
  void Grow();
  static uint64_t Hash(int32_t state, int32_t parent) {
    uint64_t k = (static_cast<uint64_t>(static_cast<uint32_t>(state)) << 32) | static_cast<uint32_t>(parent);
    k *= 0x9E3779B97F4A7C15ull;
    return k ^ (k >> 29);
  }

  std::vector<StackNode> nodes_;
  std::vector<int32_t> table_;  // open addressing over node ids, -1 = empty
};

}  // namespace sgl::constrain
