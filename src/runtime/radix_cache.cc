#include "runtime/radix_cache.h"

#include <algorithm>
#include <queue>

namespace sgl {

RadixCache::RadixCache(int page_size) : page_size_(std::max(1, page_size)), root_(std::make_unique<Node>()) {
  root_->lock_count = 1;  // the root is never evicted
}

RadixCache::~RadixCache() = default;

std::vector<int32_t> RadixCache::PageKey(std::span<const int32_t> tokens) const {
  return {tokens.begin(), tokens.begin() + page_size_};
}

int64_t RadixCache::CommonPrefixLength(std::span<const int32_t> a, std::span<const int32_t> b) const {
  const int64_t n = static_cast<int64_t>(std::min(a.size(), b.size()));
  int64_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i / page_size_ * page_size_;
}

RadixCache::Node* RadixCache::FindChild(Node* node, std::span<const int32_t> tokens) const {
  if (static_cast<int64_t>(tokens.size()) < page_size_) return nullptr;
  auto it = node->children.find(PageKey(tokens));
  return it == node->children.end() ? nullptr : it->second.get();
}

// Splits `node` so that its first `at` tokens become a new parent; returns that parent.
RadixCache::Node* RadixCache::SplitNode(Node* node, int64_t at) {
  Node* parent = node->parent;
  auto owned = std::move(parent->children[PageKey(node->key)]);
  auto mid = std::make_unique<Node>();
  mid->key.assign(node->key.begin(), node->key.begin() + at);
  mid->slots.assign(node->slots.begin(), node->slots.begin() + at);
  mid->parent = parent;
  mid->lock_count = node->lock_count;
  mid->last_access = node->last_access;
  node->key.erase(node->key.begin(), node->key.begin() + at);
  node->slots.erase(node->slots.begin(), node->slots.begin() + at);
  node->parent = mid.get();
  Node* result = mid.get();
  mid->children[PageKey(node->key)] = std::move(owned);
  parent->children[PageKey(result->key)] = std::move(mid);
  return result;
}

RadixCache::Match RadixCache::MatchPrefix(std::span<const int32_t> tokens) {
  tokens = tokens.first(tokens.size() / page_size_ * page_size_);
  ++clock_;
  Match match{{}, root_.get()};
  size_t pos = 0;
  while (pos < tokens.size()) {
    Node* child = FindChild(match.last_node, tokens.subspan(pos));
    if (child == nullptr) break;
    child->last_access = clock_;
    const int64_t common = CommonPrefixLength(child->key, tokens.subspan(pos));
    if (common < static_cast<int64_t>(child->key.size())) child = SplitNode(child, common);
    match.slots.insert(match.slots.end(), child->slots.begin(), child->slots.end());
    match.last_node = child;
    pos += common;
  }
  return match;
}

int64_t RadixCache::Insert(std::span<const int32_t> tokens, std::span<const int32_t> slots) {
  const size_t n = std::min(tokens.size(), slots.size()) / page_size_ * page_size_;
  tokens = tokens.first(n);
  slots = slots.first(n);
  ++clock_;
  Node* node = root_.get();
  size_t pos = 0;
  while (pos < n) {
    Node* child = FindChild(node, tokens.subspan(pos));
    if (child == nullptr) {
      auto leaf = std::make_unique<Node>();
      leaf->key.assign(tokens.begin() + pos, tokens.end());
      leaf->slots.assign(slots.begin() + pos, slots.end());
      leaf->parent = node;
      leaf->last_access = clock_;
      evictable_tokens_ += static_cast<int64_t>(leaf->key.size());
      node->children[PageKey(leaf->key)] = std::move(leaf);
      return static_cast<int64_t>(pos);
    }
    child->last_access = clock_;
    const int64_t common = CommonPrefixLength(child->key, tokens.subspan(pos));
    if (common < static_cast<int64_t>(child->key.size())) child = SplitNode(child, common);
    node = child;
    pos += common;
  }
  return static_cast<int64_t>(pos);
}

int64_t RadixCache::Evict(int64_t num_tokens, const FreeSlots& free_slots) {
  auto older = [](const Node* a, const Node* b) { return a->last_access > b->last_access; };
  std::priority_queue<Node*, std::vector<Node*>, decltype(older)> leaves(older);
  std::vector<Node*> stack = {root_.get()};
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    for (auto& [page, child] : node->children) stack.push_back(child.get());
    if (node->children.empty() && node->lock_count == 0) leaves.push(node);
  }
  int64_t evicted = 0;
  while (evicted < num_tokens && !leaves.empty()) {
    Node* leaf = leaves.top();
    leaves.pop();
    free_slots(leaf->slots);
    evicted += static_cast<int64_t>(leaf->slots.size());
    evictable_tokens_ -= static_cast<int64_t>(leaf->slots.size());
    Node* parent = leaf->parent;
    parent->children.erase(PageKey(leaf->key));  // destroys leaf
    if (parent->children.empty() && parent->lock_count == 0) leaves.push(parent);
  }
  return evicted;
}

void RadixCache::Lock(Node* node) {
  for (; node != root_.get(); node = node->parent) {
    if (node->lock_count++ == 0) {
      evictable_tokens_ -= static_cast<int64_t>(node->slots.size());
      locked_tokens_ += static_cast<int64_t>(node->slots.size());
    }
  }
}

void RadixCache::Unlock(Node* node) {
  for (; node != root_.get(); node = node->parent) {
    if (--node->lock_count == 0) {
      evictable_tokens_ += static_cast<int64_t>(node->slots.size());
      locked_tokens_ -= static_cast<int64_t>(node->slots.size());
    }
  }
}

void RadixCache::Reset(const FreeSlots& free_slots) {
  std::vector<Node*> stack = {root_.get()};
  while (!stack.empty()) {
    Node* node = stack.back();
    stack.pop_back();
    if (!node->slots.empty()) free_slots(node->slots);
    for (auto& [page, child] : node->children) stack.push_back(child.get());
  }
  root_->children.clear();
  evictable_tokens_ = locked_tokens_ = 0;
}

Status RadixCache::CheckInvariants() const {
  int64_t evictable = 0, locked = 0;
  std::vector<const Node*> stack = {root_.get()};
  while (!stack.empty()) {
    const Node* node = stack.back();
    stack.pop_back();
    int child_locks = 0;
    for (const auto& [page, child] : node->children) {
      if (child->parent != node) return Status(StatusCode::kInternal, "radix cache: a child's parent link is wrong");
      if (child->key.empty() || child->key.size() % page_size_ != 0 || child->key.size() != child->slots.size())
        return Status(StatusCode::kInternal, "radix cache: a node's key is empty, not page-aligned or not matched by slots");
      if (page != PageKey(child->key)) return Status(StatusCode::kInternal, "radix cache: a child is filed under the wrong page");
      child_locks += child->lock_count;
      stack.push_back(child.get());
    }
    if (node == root_.get()) continue;
    if (node->lock_count < child_locks)
      return Status(StatusCode::kInternal, "radix cache: a node has fewer locks than its children together");
    (node->lock_count > 0 ? locked : evictable) += static_cast<int64_t>(node->slots.size());
  }
  if (evictable != evictable_tokens_ || locked != locked_tokens_)
    return Status(StatusCode::kInternal,
                  fmt::format("radix cache: counted {} evictable / {} locked tokens, recorded {} / {}", evictable,
                              locked, evictable_tokens_, locked_tokens_));
  return Status::Ok();
}

}  // namespace sgl
