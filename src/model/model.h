// Model: a loaded decoder-only transformer bound to a Backend. Forward() runs one
// ForwardBatch (prefill chunks and decodes mixed) and returns the logits of the rows the
// batch asks for. Model code is written once over Backend ops; each architecture family
// is one file. Not thread-safe: the thread that drives the backend calls Forward.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "model/model_config.h"
#include "model/model_files.h"

namespace sgl {

class Model {
 public:
  virtual ~Model() = default;
  const ModelConfig& config() const { return files_->config(); }
  const ModelFiles& files() const { return *files_; }

  // Runs the batch and writes batch.logit_rows.size() x vocab_size floats to `logits`.
  // REQUIRES: the backend's KV cache holds every slot the batch names.
  virtual Status Forward(const ForwardBatch& batch, std::vector<float>* logits) = 0;

 protected:
  explicit Model(std::unique_ptr<ModelFiles> files) : files_(std::move(files)) {}
  std::unique_ptr<ModelFiles> files_;
};

// Opens `path` (a .gguf file or an HF folder) and builds the model for its architecture.
Result<std::unique_ptr<Model>> LoadModel(const std::string& path, Backend& backend);

}  // namespace sgl
