// VisionWeights: a vision tower's tensors in an HF checkpoint under one name prefix
// ("visual." in Qwen2.5-VL's published layout, "model.visual." in transformers 4.5x's
// and GLM-4.1V's), each checked for its element count and prepared by the backend.
// One-row tensors (norm weights, biases) are handed to the backend as F32, as its ops
// read them, converted from BF16/F16 into `vectors`, which the tower owns (the CPU
// backend keeps pointers into them). Borrows the checkpoint, the backend and `vectors`,
// which must outlive it; driven by the loading thread only.
#pragma once

#include <deque>
#include <initializer_list>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "format/hf_checkpoint.h"

namespace sgl::multimodal {

class VisionWeights {
 public:
  VisionWeights(const HfCheckpoint& checkpoint, Backend& backend, std::string prefix,
                std::deque<std::vector<float>>& vectors)
      : checkpoint_(checkpoint), backend_(backend), prefix_(std::move(prefix)), vectors_(vectors) {}

  // The first of `prefixes` under which the checkpoint holds `probe` (e.g.
  // "patch_embed.proj.weight"); NotFound naming the probe otherwise.
  static Result<std::string> FindPrefix(const HfCheckpoint& checkpoint, std::initializer_list<const char*> prefixes,
                                        const std::string& probe);

  // prefix + name as a [rows, cols] weight (any stored shape with rows * cols elements);
  // F32 when rows == 1.
  Result<Tensor> Get(const std::string& name, int64_t rows, int64_t cols) const;
  const std::string& prefix() const { return prefix_; }

 private:
  const HfCheckpoint& checkpoint_;
  Backend& backend_;
  std::string prefix_;
  std::deque<std::vector<float>>& vectors_;
};

// The tensor `name`'s `count` elements as floats, from F32, BF16 or F16, or an error
// naming it (for weights reshaped on the host).
Result<std::vector<float>> HostFloats(const HfCheckpoint& checkpoint, const std::string& name, int64_t count);

// The part [offset, offset + cols) of a one-row tensor (q, k or v's slice of a fused qkv bias).
inline Tensor BiasSlice(const Tensor& row, int64_t offset, int64_t cols) {
  return {static_cast<uint8_t*>(row.data) + RowBytes(row.dtype, offset), row.dtype, 1, cols};
}

}  // namespace sgl::multimodal
