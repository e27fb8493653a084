// SafetensorsFile: one parsed .safetensors file (F32, F16, BF16 tensors; others are
// rejected with a message naming the dtype), memory-mapped. Every malformed input (bad
// header length, bad JSON, a header that is not an object, offsets out of bounds or
// overlapping, shape/size mismatch) is an error naming the file. `__metadata__` is
// ignored. Immutable and thread-safe after loading. A checkpoint folder of one or more
// such files is loaded by HfCheckpoint (format/hf_checkpoint.h).
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/mapped_file.h"
#include "base/status.h"
#include "format/tensor_view.h"

namespace sgl {

class SafetensorsFile {
 public:
  static Result<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);
  // Parses an in-memory image (used by Open and by the fuzzer). `bytes` must outlive
  // the result; `name` is used in error messages.
  static Result<std::unique_ptr<SafetensorsFile>> Parse(std::span<const uint8_t> bytes, const std::string& name);

  // Tensors in the order of their names.
  const std::vector<TensorView>& tensors() const { return tensors_; }
  const TensorView* FindTensor(const std::string& name) const;
  const std::string& name() const { return name_; }

 private:
  SafetensorsFile() = default;
  std::string name_;
  std::unique_ptr<MappedFile> file_;  // null when parsed from memory
  std::vector<TensorView> tensors_;
  std::map<std::string, size_t> tensor_index_;
};

}  // namespace sgl
