// HfCheckpoint: a Hugging Face checkpoint folder: config.json (must be a JSON object)
// and either the shards listed in model.safetensors.index.json ("weight_map": tensor
// name -> shard file) or a single model.safetensors. A missing shard, a tensor the index
// lists but its shard lacks, or a folder with neither file is an error naming the file.
// Tensor views point into the shards' memory maps, which live as long as the object.
// Immutable and thread-safe after loading.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "format/safetensors_file.h"
#include "format/tensor_view.h"

namespace sgl {

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
  Status LoadSingleFile(const std::string& path);
  Status LoadShards(const std::string& index_path);

  std::string dir_;
  nlohmann::json config_;
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, TensorView> tensors_;
};

}  // namespace sgl
