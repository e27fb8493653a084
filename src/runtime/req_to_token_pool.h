// ReqToTokenPool: the page tables of the running requests. Each running request holds
// one row: the KV slot of each of its tokens, [0, context_len). Rows live in one flat
// [max_requests, context_len] array so a device backend can read them in place.
// Check with CanAllocate() before Allocate(). Owned by the scheduler thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/status.h"

namespace sgl {

class ReqToTokenPool {
 public:
  ReqToTokenPool(int max_requests, int64_t context_len);

  int max_requests() const { return max_requests_; }
  int64_t context_len() const { return context_len_; }
  int free_rows() const { return static_cast<int>(free_rows_.size()); }

  bool CanAllocate() const { return !free_rows_.empty(); }
  // A free row, or nullopt when all are taken.
  std::optional<int> Allocate();
  // Returns `row` to the pool; freeing a free or unknown row is an error.
  Status Free(int row);

  // The slots of `row`; REQUIRES: row is allocated.
  std::span<int32_t> Row(int row) { return {table_.data() + static_cast<size_t>(row) * context_len_, static_cast<size_t>(context_len_)}; }
  const int32_t* data() const { return table_.data(); }

 private:
  int max_requests_;
  int64_t context_len_;
  std::vector<int32_t> table_;
  std::vector<int> free_rows_;
  std::vector<bool> row_is_free_;
};

}  // namespace sgl
