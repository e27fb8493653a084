// SafetensorsFile: one parsed .safetensors file (F32, F16, BF16 tensors; others are
// rejected with a message naming the dtype), memory-mapped. HfCheckpoint loads a folder:
// config.json, and either model.safetensors or the shards listed in
// model.safetensors.index.json. Every malformed input (bad header length, bad JSON,
// offsets out of bounds or overlapping, shape/size mismatch, missing shard) is an error
// naming the file. Immutable and thread-safe after loading.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/mapped_file.h"
#include "base/status.h"
#include "format/tensor_view.h"

namespace sgl {

class SafetensorsFile {
 public:
  static Result<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);
  static Result<std::unique_ptr<SafetensorsFile>> Parse(std::span<const uint8_t> bytes, const std::string& name);
  const std::vector<TensorView>& tensors() const { return tensors_; }

 private:
  SafetensorsFile() = default;
  std::unique_ptr<MappedFile> file_;
  std::vector<TensorView> tensors_;
};

class HfCheckpoint {
 public:
  // `dir` holds config.json and the safetensors file(s).
  static Result<std::unique_ptr<HfCheckpoint>> Open(const std::string& dir);
  const nlohmann::json& config() const { return config_; }
  const TensorView* FindTensor(const std::string& name) const;
  const std::map<std::string, TensorView>& tensors() const { return tensors_; }
  const std::string& dir() const { return dir_; }

 private:
  HfCheckpoint() = default;
  std::string dir_;
  nlohmann::json config_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, TensorView> tensors_;
};

}  // namespace sgl
