// ModelFiles: one model on disk (a .gguf file or a Hugging Face folder) opened for
// loading: its normalized ModelConfig and its tensors under GGUF's names
// ("blk.3.attn_q.weight"), whatever the file calls them. Matrices are returned as stored
// (zero copy, possibly quantized); vectors (norms, biases) as float32 copies owned here.
// Every returned Tensor lives as long as this object. Not thread-safe while loading.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/tensor.h"
#include "base/status.h"
#include "model/model_config.h"

namespace sgl {

class GgufFile;
class HfCheckpoint;
struct TensorView;

class ModelFiles {
 public:
  // `path`: a .gguf file, or a folder holding config.json and *.safetensors.
  static Result<std::unique_ptr<ModelFiles>> Open(const std::string& path);
  ~ModelFiles();

  const ModelConfig& config() const { return config_; }
  const std::string& path() const { return path_; }
  // e.g. "GGUF v3, 272 tensors (Q4_1 x210, F32 x61, Q8_0 x1)".
  std::string Description() const;

  bool Has(const std::string& name) const;
  // A [rows, cols] matrix in its stored dtype. Fails naming the tensor if it is missing
  // or has another shape.
  Result<Tensor> Matrix(const std::string& name, int64_t rows, int64_t cols) const;
  // Rows [begin, begin + count) of a [rows, cols] matrix (zero copy): a tensor-parallel
  // rank's share of a column-parallel layer. REQUIRES: the range lies within [0, rows).
  Result<Tensor> MatrixRows(const std::string& name, int64_t rows, int64_t cols, int64_t begin, int64_t count) const;
  // Columns [begin, begin + count) of a [rows, cols] matrix, copied and owned here (a
  // row-parallel layer's share). A quantized matrix splits only at whole blocks; other
  // splits fail naming the tensor and its block size.
  Result<Tensor> MatrixCols(const std::string& name, int64_t rows, int64_t cols, int64_t begin, int64_t count);
  // A float32 [1, size] copy of a vector; norm weights get config().norm_weight_offset added
  // when `is_norm`.
  Result<Tensor> Vector(const std::string& name, int64_t size, bool is_norm);
  // Elements [begin, begin + count) of a (non-norm) vector, as a float32 [1, count] copy.
  Result<Tensor> VectorRange(const std::string& name, int64_t size, int64_t begin, int64_t count);

 private:
  ModelFiles() = default;
  const TensorView* Find(const std::string& name) const;

  std::string path_;
  ModelConfig config_;
  std::unique_ptr<GgufFile> gguf_;
  std::unique_ptr<HfCheckpoint> hf_;
  std::vector<std::vector<float>> owned_vectors_;
  std::vector<std::vector<uint8_t>> owned_matrices_;  // column slices
};

// The Hugging Face name of a tensor called `gguf_name` in GGUF ("blk.0.attn_q.weight" ->
// "model.layers.0.self_attn.q_proj.weight"), or "" when there is none.
std::string HfTensorName(const std::string& gguf_name, Architecture arch);

}  // namespace sgl
