#include "model/workspace.h"

namespace sgl {

Result<Tensor> Workspace::Get(int id, int64_t rows, int64_t cols, DType dtype) {
  if (static_cast<int>(buffers_.size()) <= id) buffers_.resize(id + 1);
  Tensor t{nullptr, dtype, rows, cols};
  const size_t bytes = t.NumBytes();
  if (!buffers_[id] || buffers_[id]->size() < bytes) {
    buffers_[id].reset();
    SGL_ASSIGN_OR_RETURN(buffers_[id], backend_.Allocate(bytes));
  }
  t.data = buffers_[id]->data();
  return t;
}

}  // namespace sgl
