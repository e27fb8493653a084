// Workspace: the scratch activation tensors of one model step, allocated from the backend
// and reused across steps; a buffer grows only when a larger batch arrives, so the
// steady-state decode loop allocates nothing. Owned by one Model; not thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "backend/backend.h"

namespace sgl {

class Workspace {
 public:
  explicit Workspace(Backend& backend) : backend_(backend) {}

  // The scratch tensor number `id` shaped [rows, cols] of the backend's activation dtype
  // (or `dtype`). Valid until the next Get with the same id.
  Result<Tensor> Get(int id, int64_t rows, int64_t cols, DType dtype);
  Result<Tensor> Get(int id, int64_t rows, int64_t cols) { return Get(id, rows, cols, backend_.ActivationDType()); }

 private:
  Backend& backend_;
  std::vector<std::unique_ptr<DeviceBuffer>> buffers_;
};

}  // namespace sgl
