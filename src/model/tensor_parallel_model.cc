#include "model/tensor_parallel_model.h"

#include <algorithm>
#include <mutex>

#include <fmt/format.h>

namespace sgl {

TensorParallelModel::TensorParallelModel(std::unique_ptr<ModelFiles> files, int size)
    : Model(std::move(files)), ranks_(size) {
  for (int r = 1; r < size; ++r) workers_.push_back(std::make_unique<RankWorker>());
}

TensorParallelModel::~TensorParallelModel() {
  // Each rank's model and backend go on the thread that made them, then the threads.
  std::vector<std::future<Status>> done;
  for (int r = 1; r < size(); ++r)
    done.push_back(workers_[r - 1]->Post([rank = &ranks_[r]] {
      *rank = Rank{};
      return Status::Ok();
    }));
  for (auto& d : done) d.wait();
  ranks_[0] = Rank{};
  workers_.clear();
}

Result<std::unique_ptr<Model>> TensorParallelModel::Load(const std::string& path, int size,
                                                        const RankFactory& factory) {
  if (size < 2) return InvalidArgument("tensor parallelism needs at least 2 ranks, got {}", size);
  SGL_ASSIGN_OR_RETURN(std::unique_ptr<ModelFiles> files, ModelFiles::Open(path));
  std::unique_ptr<TensorParallelModel> model(new TensorParallelModel(std::move(files), size));
  std::vector<std::future<Status>> loaded;
  for (int r = 1; r < size; ++r)
    loaded.push_back(model->workers_[r - 1]->Post([&, r] { return model->LoadRank(r, path, factory); }));
  Status status = model->LoadRank(0, path, factory);
  for (auto& l : loaded) {
    Status s = l.get();
    if (status.ok() && !s.ok()) status = s;
  }
  SGL_RETURN_IF_ERROR(status);
  model->SizeKvBudget();
  model->backend_name_ = fmt::format("{} x {}", size, model->ranks_[0].model->BackendName());
  return std::unique_ptr<Model>(std::move(model));
}

void TensorParallelModel::SizeKvBudget() {
  // Ranks with devices of their own each hold a KV shard for every slot in their own
  // memory, so the fullest device decides; ranks on the host share its memory.
  for (const Rank& rank : ranks_) {
    if (!rank.device_memory) {
      kv_bytes_per_slot_ += rank.model->KvBytesPerSlot();
      continue;
    }
    kv_bytes_per_slot_ = std::max(kv_bytes_per_slot_, rank.model->KvBytesPerSlot());
    if (!device_memory_ || rank.device_memory->free_bytes < device_memory_->free_bytes) device_memory_ = rank.device_memory;
  }
}

Status TensorParallelModel::LoadRank(int rank, const std::string& path, const RankFactory& factory) {
  Rank& r = ranks_[rank];
  SGL_ASSIGN_OR_RETURN(r.resources, factory(rank));
  if (r.resources.comm == nullptr || r.resources.comm->size() != size() || r.resources.comm->rank() != rank)
    return InvalidArgument("rank {}: its communicator is not rank {} of {}", rank, rank, size());
  auto model = LoadModelShard(path, *r.resources.backend, *r.resources.comm);
  if (!model.ok()) return model.status().WithContext(fmt::format("tensor-parallel rank {}", rank));
  r.model = std::move(model).value();
  r.device_memory = r.model->QueryDeviceMemory();
  return Status::Ok();
}

Status TensorParallelModel::OnAllRanks(const std::function<Status(Rank&)>& task) {
  // The first rank to fail holds the cause; the others then fail only because it aborted.
  std::mutex mu;
  Status first_failure;
  auto run = [&](Rank& rank) {
    Status s = task(rank);
    if (s.ok()) return s;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (first_failure.ok()) first_failure = s;
    }
    rank.resources.comm->Abort();
    return s;
  };
  std::vector<std::future<Status>> done;
  for (int r = 1; r < size(); ++r) done.push_back(workers_[r - 1]->Post([&run, rank = &ranks_[r]] { return run(*rank); }));
  (void)run(ranks_[0]);
  for (auto& d : done) (void)d.get();
  return first_failure;
}

Status TensorParallelModel::Forward(const ForwardBatch& batch, ForwardOutput* out) {
  // Refused here, before any rank starts: a batch every rank would refuse must not cost
  // the group (a failure inside a step aborts it for good).
  if (!batch.SlotsWithin(num_kv_slots_))
    return InvalidArgument("the batch names a KV slot outside the cache's [0, {})", num_kv_slots_);
  return OnAllRanks([&](Rank& rank) {
    return rank.model->Forward(batch, &rank == &ranks_[0] ? out : &rank.output);
  });
}

Status TensorParallelModel::CreateKvCache(int64_t num_slots) {
  num_kv_slots_ = 0;
  SGL_RETURN_IF_ERROR(OnAllRanks([num_slots](Rank& rank) { return rank.model->CreateKvCache(num_slots); }));
  num_kv_slots_ = num_slots;
  return Status::Ok();
}

}  // namespace sgl
