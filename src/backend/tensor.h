// Tensor: a non-owning 2-D row-major view of backend memory (host memory on the CPU
// backend, device memory on CUDA). Activations are [num_tokens, features]; a linear
// layer's weight is [out_features, in_features]; a norm weight or bias is [1, features].
// Rows are contiguous and `row_stride` elements apart (quantized types: in blocks).
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/dtype.h"

namespace sgl {

struct Tensor {
  void* data = nullptr;
  DType dtype = DType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;

  size_t RowBytes() const { return sgl::RowBytes(dtype, cols); }
  size_t NumBytes() const { return RowBytes() * static_cast<size_t>(rows); }
  bool empty() const { return data == nullptr; }

  // REQUIRES: [begin, begin + count) within [0, rows).
  Tensor Rows(int64_t begin, int64_t count) const {
    return {static_cast<uint8_t*>(data) + RowBytes() * static_cast<size_t>(begin), dtype, count, cols};
  }
  template <typename T>
  T* As() const { return static_cast<T*>(data); }
};

}  // namespace sgl
