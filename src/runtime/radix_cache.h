// RadixCache: RadixAttention's prefix cache. A radix tree over token ids whose nodes hold
// the KV slots of their edge, so a new request reuses the KV of its longest cached prefix
// instead of recomputing it. With page_size > 1 keys are matched and stored in whole
// pages. Locked nodes (a running request's prefix) are never evicted; eviction removes
// unlocked leaves, least recently used first, and hands their slots back to the caller.
// Owned and used by the scheduler thread only; not thread-safe.
//
// Slot ownership: slots passed to Insert belong to the cache from then on, except the
// ones Insert reports as duplicates (already cached), which stay the caller's to free.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"

namespace sgl {

class RadixCache {
 public:
  struct Node;

  struct Match {
    std::vector<int32_t> slots;  // KV slots of the matched prefix (a multiple of page_size)
    Node* last_node;             // deepest matched node (the root when nothing matched)
  };

  using FreeSlots = std::function<void(std::span<const int32_t> slots)>;

  explicit RadixCache(int page_size = 1);
  ~RadixCache();
  RadixCache(const RadixCache&) = delete;
  RadixCache& operator=(const RadixCache&) = delete;

  int page_size() const { return page_size_; }

  // The longest cached prefix of `tokens`, in whole pages. Mutates: may split a node so the
  // match ends on a node boundary, and marks the path as recently used.
  Match MatchPrefix(std::span<const int32_t> tokens);

  // Caches tokens -> slots (equal lengths; only whole pages are kept). Returns the number
  // of leading tokens that were already cached: slots[0, returned) are duplicates the
  // caller still owns and must free (unless they are the very slots already cached).
  int64_t Insert(std::span<const int32_t> tokens, std::span<const int32_t> slots);

  // Evicts unlocked leaves, least recently used first, until at least `num_tokens` tokens
  // were freed or nothing evictable is left. Returns the number of tokens evicted.
  int64_t Evict(int64_t num_tokens, const FreeSlots& free_slots);

  // Lock protects `node` and its ancestors from eviction; each Lock needs one Unlock.
  void Lock(Node* node);
  void Unlock(Node* node);

  // Drops every node (all must be unlocked), handing all slots to `free_slots`.
  void Reset(const FreeSlots& free_slots);

  int64_t evictable_tokens() const { return evictable_tokens_; }
  int64_t locked_tokens() const { return locked_tokens_; }
  int64_t total_tokens() const { return evictable_tokens_ + locked_tokens_; }

  // Recomputes sizes and checks the tree's structure; an error says what is broken.
  Status CheckInvariants() const;

 private:
  std::vector<int32_t> PageKey(std::span<const int32_t> tokens) const;
  int64_t CommonPrefixLength(std::span<const int32_t> a, std::span<const int32_t> b) const;
  Node* SplitNode(Node* node, int64_t at);
  Node* FindChild(Node* node, std::span<const int32_t> tokens) const;

  int page_size_;
  std::unique_ptr<Node> root_;
  uint64_t clock_ = 0;  // logical time for LRU
  int64_t evictable_tokens_ = 0;
  int64_t locked_tokens_ = 0;
};

struct RadixCache::Node {
  std::vector<int32_t> key;    // token ids of the edge into this node
  std::vector<int32_t> slots;  // their KV slots
  Node* parent = nullptr;
  std::map<std::vector<int32_t>, std::unique_ptr<Node>> children;  // by the child key's first page
  int lock_count = 0;
  uint64_t last_access = 0;
};

}  // namespace sgl
