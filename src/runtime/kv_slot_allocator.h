// KvSlotAllocator: hands out the KV cache's token slots (TokenToKVPool's allocator) in
// pages of `page_size` slots; slot s lies in page s / page_size. A page has one owner at
// a time (a running request or the RadixCache), so slots are freed by whole pages: Free()
// returns every page that any of the given slots lies in. Check with CanAllocate() before
// Allocate(). Owned by the scheduler thread; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/status.h"

namespace sgl {

class KvSlotAllocator {
 public:
  // Capacity is num_slots rounded down to whole pages.
  KvSlotAllocator(int64_t num_slots, int page_size);

  int page_size() const { return page_size_; }
  int64_t capacity_slots() const { return num_pages_ * page_size_; }
  int64_t free_slots() const { return static_cast<int64_t>(free_pages_.size()) * page_size_; }

  // Slots a sequence of `seq_len` tokens needs to grow by `num_tokens` (whole pages; the
  // last page of the sequence is filled first).
  int64_t PagesNeeded(int64_t seq_len, int64_t num_tokens) const;
  bool CanAllocate(int64_t seq_len, int64_t num_tokens) const {
    return PagesNeeded(seq_len, num_tokens) <= static_cast<int64_t>(free_pages_.size());
  }

  // Appends slots for `num_tokens` more tokens to `slots` (a sequence's page table of
  // seq_len = slots.size() entries). Fails, changing nothing, when pages run out.
  Status Allocate(int64_t num_tokens, std::vector<int32_t>& slots);

  // Returns to the free list every page any of `slots` lies in. Freeing a free page is
  // an error (reported, nothing changed).
  Status Free(std::span<const int32_t> slots);

  Status CheckInvariants() const;

 private:
  int page_size_;
  int64_t num_pages_;
  std::vector<int32_t> free_pages_;  // a stack; lowest page ids on top at start
  std::vector<bool> page_is_free_;
};

}  // namespace sgl
