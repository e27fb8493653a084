#include "constrain/stack_pool.h"

namespace sgl::constrain {

void StackPool::Clear() {
  nodes_.clear();
  table_.assign(1024, -1);
}

void StackPool::Grow() {
  table_.assign(table_.size() * 2, -1);
  size_t mask = table_.size() - 1;
  for (int32_t id = 0; id < size(); ++id) {
    size_t i = Hash(nodes_[id].state, nodes_[id].parent) & mask;
    while (table_[i] >= 0) i = (i + 1) & mask;
    table_[i] = id;
  }
}

int32_t StackPool::Intern(int32_t state, int32_t parent) {
  size_t mask = table_.size() - 1;
  size_t i = Hash(state, parent) & mask;
  while (table_[i] >= 0) {
    const StackNode& n = nodes_[table_[i]];
    if (n.state == state && n.parent == parent) return table_[i];
    i = (i + 1) & mask;
  }
  int32_t id = size();
  nodes_.push_back({state, parent});
  table_[i] = id;
  if (nodes_.size() * 2 > table_.size()) Grow();
  return id;
}

}  // namespace sgl::constrain
