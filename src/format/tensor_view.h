// TensorView: a borrowed, read-only view of one tensor stored in a model file.
// `shape` is outermost first, as in PyTorch: a linear layer's weight is
// {out_features, in_features} and rows are contiguous. GGUF's ne[] is reversed into
// this order by the reader. `data` points into a mapping owned by whoever made the view.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/dtype.h"

namespace sgl {

struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const void* data = nullptr;
  size_t num_bytes = 0;

  int64_t NumElements() const {
    int64_t n = 1;
    for (int64_t d : shape) n *= d;
    return n;
  }
};

}  // namespace sgl
