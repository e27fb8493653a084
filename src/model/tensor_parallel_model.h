// TensorParallelModel: one Model over `size` ranks, each holding a shard of the weights and
// the KV cache on a backend of its own. Rank 0 runs on the calling thread (the scheduler's
// when serving), which drives the other ranks: it posts the same ForwardBatch to each
// rank's RankWorker thread, runs its own shard, and waits for all. Ranks meet in their
// Communicator's collectives. A batch naming KV slots outside the cache is refused before
// any rank runs; a rank that fails inside a step aborts the group, so no rank waits
// forever, and that step and every later one fail with the first rank's error. Logits
// are rank 0's (every rank gathers the whole vocabulary). Not thread-safe, like every Model.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "model/model.h"
#include "parallel/rank_factory.h"
#include "parallel/rank_worker.h"

namespace sgl {

class TensorParallelModel final : public Model {
 public:
  // Loads the shards of `path` on `size` ranks (in parallel). Fails with the first rank's
  // error (e.g. a dimension tp does not divide, a quantized tensor split mid-block).
  // REQUIRES: size >= 2.
  static Result<std::unique_ptr<Model>> Load(const std::string& path, int size, const RankFactory& factory);
  ~TensorParallelModel() override;

  using Model::Forward;
  Status Forward(const ForwardBatch& batch, ForwardOutput* out) override;
  Status CreateKvCache(int64_t num_slots) override;
  std::optional<DeviceMemory> QueryDeviceMemory() const override { return device_memory_; }
  size_t KvBytesPerSlot() const override { return kv_bytes_per_slot_; }
  std::string BackendName() const override { return backend_name_; }
  int size() const { return static_cast<int>(ranks_.size()); }

 private:
  struct Rank {
    RankResources resources;
    std::unique_ptr<Model> model;
    ForwardOutput output;  // ranks > 0: their copy, unused
    std::optional<DeviceMemory> device_memory;  // just after loading, asked on the rank's thread
  };

  explicit TensorParallelModel(std::unique_ptr<ModelFiles> files, int size);
  Status LoadRank(int rank, const std::string& path, const RankFactory& factory);
  // kv_bytes_per_slot_ and device_memory_ from the loaded ranks.
  void SizeKvBudget();
  // Runs task(rank) on every rank (rank 0 here) and returns the first failure; a rank
  // that fails aborts the group first, so the others leave their collectives.
  Status OnAllRanks(const std::function<Status(Rank&)>& task);

  std::vector<Rank> ranks_;  // ranks_[r > 0] is touched only by workers_[r - 1]'s tasks
  std::vector<std::unique_ptr<RankWorker>> workers_;
  int64_t num_kv_slots_ = 0;  // of every rank's KV cache
  std::optional<DeviceMemory> device_memory_;  // of the fullest rank's device, after loading
  size_t kv_bytes_per_slot_ = 0;
  std::string backend_name_;
};

}  // namespace sgl
