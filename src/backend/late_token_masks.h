// LateTokenMasks: a step's grammar masks, computed while the device runs the step instead
// of before it. The runtime sizes them and names each row's words up front
// (RowSampling::mask_begin/mask_words); the first backend call that needs them (sampling,
// once everything before it is enqueued) fills them. So the host computes masks while
// the GPU computes logits. Tensor-parallel ranks share one batch: the first caller fills,
// concurrent callers wait for it, every caller then reads the same words.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <span>
#include <vector>

namespace sgl {

class LateTokenMasks {
 public:
  // `fill` writes all `num_words` words; it runs once, on the first Get().
  LateTokenMasks(size_t num_words, std::function<void(std::span<uint32_t>)> fill)
      : fill_(std::move(fill)), words_(num_words) {}
  LateTokenMasks(const LateTokenMasks&) = delete;
  LateTokenMasks& operator=(const LateTokenMasks&) = delete;

  size_t size() const { return words_.size(); }

  // The filled words (filling them on the first call).
  std::span<const uint32_t> Get() {
    std::call_once(filled_, [this] { fill_(words_); });
    return words_;
  }

 private:
  std::once_flag filled_;
  std::function<void(std::span<uint32_t>)> fill_;
  std::vector<uint32_t> words_;
};

}  // namespace sgl
