#include "runtime/kv_slot_allocator.h"

#include <algorithm>

namespace sgl {

KvSlotAllocator::KvSlotAllocator(int64_t num_slots, int page_size)
    : page_size_(std::max(1, page_size)), num_pages_(std::max<int64_t>(0, num_slots) / page_size_) {
  free_pages_.reserve(num_pages_);
  for (int64_t p = num_pages_ - 1; p >= 0; --p) free_pages_.push_back(static_cast<int32_t>(p));
  page_is_free_.assign(num_pages_, true);
}

int64_t KvSlotAllocator::PagesNeeded(int64_t seq_len, int64_t num_tokens) const {
  const int64_t room_in_last_page = seq_len % page_size_ == 0 ? 0 : page_size_ - seq_len % page_size_;
  const int64_t beyond = std::max<int64_t>(0, num_tokens - room_in_last_page);
  return (beyond + page_size_ - 1) / page_size_;
}

Status KvSlotAllocator::Allocate(int64_t num_tokens, std::vector<int32_t>& slots) {
  const int64_t seq_len = static_cast<int64_t>(slots.size());
  if (!CanAllocate(seq_len, num_tokens))
    return Status(StatusCode::kOutOfMemory,
                  fmt::format("KV cache full: {} more tokens need {} pages, {} free", num_tokens,
                              PagesNeeded(seq_len, num_tokens), free_pages_.size()));
  for (int64_t i = 0; i < num_tokens; ++i) {
    const int64_t len = seq_len + i;
    if (len % page_size_ != 0) {
      slots.push_back(slots.back() + 1);  // the next slot of the current last page
      continue;
    }
    const int32_t page = free_pages_.back();
    free_pages_.pop_back();
    page_is_free_[page] = false;
    slots.push_back(page * page_size_);
  }
  return Status::Ok();
}

Status KvSlotAllocator::Free(std::span<const int32_t> slots) {
  std::vector<int32_t> pages;
  for (int32_t s : slots) {
    if (s < 0 || s >= num_pages_ * page_size_) return InvalidArgument("freeing slot {} outside the KV cache", s);
    pages.push_back(s / page_size_);
  }
  std::sort(pages.begin(), pages.end());
  pages.erase(std::unique(pages.begin(), pages.end()), pages.end());
  for (int32_t p : pages)
    if (page_is_free_[p]) return Status(StatusCode::kInternal, fmt::format("KV page {} freed twice", p));
  for (int32_t p : pages) {
    page_is_free_[p] = true;
    free_pages_.push_back(p);
  }
  return Status::Ok();
}

Status KvSlotAllocator::CheckInvariants() const {
  const int64_t marked = std::count(page_is_free_.begin(), page_is_free_.end(), true);
  if (marked != static_cast<int64_t>(free_pages_.size()))
    return Status(StatusCode::kInternal,
                  fmt::format("KV allocator: {} pages marked free, {} on the free list", marked, free_pages_.size()));
  for (int32_t p : free_pages_)
    if (!page_is_free_[p]) return Status(StatusCode::kInternal, fmt::format("KV page {} listed free but in use", p));
  return Status::Ok();
}

}  // namespace sgl
