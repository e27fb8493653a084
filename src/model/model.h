// Model: a loaded decoder-only transformer bound to its backend(s). Forward() runs one
// ForwardBatch (prefill chunks and decodes mixed) and returns the logits of the rows the
// batch asks for. Model code is written once over Backend ops; each architecture family
// is one file over RankModel (one rank: the whole model, or one tensor-parallel shard);
// TensorParallelModel drives several ranks as one Model. Not thread-safe: the thread that
// drives the model (the scheduler's) calls Forward and CreateKvCache.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "model/model_config.h"
#include "model/model_files.h"
#include "model/model_shard.h"

namespace sgl {

class Model {
 public:
  virtual ~Model() = default;
  const ModelConfig& config() const { return files_->config(); }
  const ModelFiles& files() const { return *files_; }

  // Runs the batch: the argmax of every logit row, and the logits of the rows the batch
  // wants on the host (see ForwardOutput). REQUIRES: the KV cache holds every slot the
  // batch names.
  virtual Status Forward(const ForwardBatch& batch, ForwardOutput* out) = 0;
  // Runs the batch and writes all batch.logit_rows.size() x vocab_size logits to `logits`.
  Status Forward(const ForwardBatch& batch, std::vector<float>* logits) {
    ForwardBatch all_rows_to_host = batch;
    all_rows_to_host.host_logit_rows.clear();
    ForwardOutput out;
    SGL_RETURN_IF_ERROR(Forward(all_rows_to_host, &out));
    *logits = std::move(out.logits);
    return Status::Ok();
  }
  // (Re)creates the KV cache with `num_slots` token slots (on every rank); previous
  // contents are lost.
  virtual Status CreateKvCache(int64_t num_slots) = 0;
  // Memory of the device the KV cache goes to (nullopt on the host); with ranks on
  // several GPUs, that of the GPU with the least free memory.
  virtual std::optional<DeviceMemory> QueryDeviceMemory() const = 0;
  // Bytes of KV cache one token slot takes in that memory (for capacity planning): per
  // GPU when ranks have GPUs of their own, all ranks together on the host.
  virtual size_t KvBytesPerSlot() const = 0;
  // The backend it runs on, e.g. "cpu (avx2, 8 threads)", or "2 x ..." for several ranks.
  virtual std::string BackendName() const = 0;

 protected:
  explicit Model(std::unique_ptr<ModelFiles> files) : files_(std::move(files)) {}
  std::unique_ptr<ModelFiles> files_;
};

// One rank's model over its own backend: the base of every architecture file. With
// ModelShard::Whole it is the whole model.
class RankModel : public Model {
 public:
  Status CreateKvCache(int64_t num_slots) override { return backend_.CreateKvCache(KvShape(num_slots)); }
  std::optional<DeviceMemory> QueryDeviceMemory() const override { return backend_.QueryDeviceMemory(); }
  size_t KvBytesPerSlot() const override { return backend_.KvBytesPerSlot(KvShape(1)); }
  std::string BackendName() const override { return backend_.Name(); }

 protected:
  RankModel(std::unique_ptr<ModelFiles> files, Backend& backend, const ModelShard& shard)
      : Model(std::move(files)), backend_(backend), shard_(shard) {}
  KvCacheShape KvShape(int64_t num_slots) const {
    return {config().num_layers, num_slots, shard_.layout.num_kv_heads, config().head_dim};
  }

  Backend& backend_;
  const ModelShard shard_;
};

// Opens `path` (a .gguf file or an HF folder) and builds the whole model for its
// architecture on `backend`.
Result<std::unique_ptr<Model>> LoadModel(const std::string& path, Backend& backend);
// One tensor-parallel rank: the shard of rank comm.rank() of comm.size() ranks. Fails
// when the model cannot be split that way (see ShardLayout) or a quantized tensor cannot
// be split at whole blocks. REQUIRES: comm outlives the model.
Result<std::unique_ptr<Model>> LoadModelShard(const std::string& path, Backend& backend, Communicator& comm);

}  // namespace sgl
