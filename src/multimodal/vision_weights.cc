#include "multimodal/vision_weights.h"

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
  return backend_.PrepareWeight(Tensor{const_cast<void*>(view->data), view->dtype, rows, cols});
}

}  // namespace sgl::multimodal
