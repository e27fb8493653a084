#include "multimodal/vision_weights.h"

#include <cstring>

#include "base/float16.h"

namespace sgl::multimodal {

Result<std::string> VisionWeights::FindPrefix(const HfCheckpoint& checkpoint,
                                              std::initializer_list<const char*> prefixes, const std::string& probe) {
  for (const char* prefix : prefixes) {
    if (checkpoint.FindTensor(prefix + probe) != nullptr) return std::string(prefix);
  }
  return NotFound("{}: no vision tower tensor '{}' under any of the expected prefixes", checkpoint.dir(), probe);
}

Result<Tensor> VisionWeights::Get(const std::string& name, int64_t rows, int64_t cols) const {
  const std::string full = prefix_ + name;
  const TensorView* view = checkpoint_.FindTensor(full);
  if (view == nullptr) return NotFound("{}: missing tensor '{}'", checkpoint_.dir(), full);
  if (view->NumElements() != rows * cols) {
    return InvalidArgument("{}: '{}' has {} elements, expected {}x{}", checkpoint_.dir(), full, view->NumElements(),
                           rows, cols);
  }
  if (rows == 1 && view->dtype != DType::kF32) {
    SGL_ASSIGN_OR_RETURN(std::vector<float> floats, HostFloats(checkpoint_, full, cols));
    std::vector<float>& kept = vectors_.emplace_back(std::move(floats));
    return backend_.PrepareWeight(Tensor{kept.data(), DType::kF32, 1, cols});
  }
  return backend_.PrepareWeight(Tensor{const_cast<void*>(view->data), view->dtype, rows, cols});
}

Result<std::vector<float>> HostFloats(const HfCheckpoint& checkpoint, const std::string& name, int64_t count) {
  const TensorView* view = checkpoint.FindTensor(name);
  if (view == nullptr) return NotFound("{}: missing tensor '{}'", checkpoint.dir(), name);
  const DType dtype = view->dtype;
  if ((dtype != DType::kF32 && dtype != DType::kBF16 && dtype != DType::kF16) || view->NumElements() != count) {
    return Unsupported("{}: '{}' must be F32, BF16 or F16 with {} elements", checkpoint.dir(), name, count);
  }
  std::vector<float> values(count);
  if (dtype == DType::kF32) {
    std::memcpy(values.data(), view->data, count * sizeof(float));
    return values;
  }
  const auto* bits = static_cast<const uint16_t*>(view->data);
  for (int64_t i = 0; i < count; ++i) values[i] = dtype == DType::kBF16 ? Bf16ToF32(bits[i]) : F16ToF32(bits[i]);
  return values;
}

}  // namespace sgl::multimodal
