#include "runtime/req_to_token_pool.h"

namespace sgl {

ReqToTokenPool::ReqToTokenPool(int max_requests, int64_t context_len)
    : max_requests_(max_requests),
      context_len_(context_len),
      table_(static_cast<size_t>(max_requests) * static_cast<size_t>(context_len), 0),
      row_is_free_(max_requests, true) {
  for (int r = max_requests - 1; r >= 0; --r) free_rows_.push_back(r);
}

std::optional<int> ReqToTokenPool::Allocate() {
  if (free_rows_.empty()) return std::nullopt;
  const int row = free_rows_.back();
  free_rows_.pop_back();
  row_is_free_[row] = false;
  return row;
}

Status ReqToTokenPool::Free(int row) {
  if (row < 0 || row >= max_requests_) return InvalidArgument("request row {} does not exist", row);
  if (row_is_free_[row]) return Status(StatusCode::kInternal, fmt::format("request row {} freed twice", row));
  row_is_free_[row] = true;
  free_rows_.push_back(row);
  return Status::Ok();
}

}  // namespace sgl
