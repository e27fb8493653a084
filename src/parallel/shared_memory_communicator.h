// SharedMemoryCommunicator: the Communicator of ranks that are threads of one process
// (the CPU backend's tensor parallelism). Tensors are host float32; ranks read each
// other's buffers directly, meeting at a shared Rendezvous. Sums run in rank order, so
// every rank gets bit-identical results and a run is deterministic. Each object is used
// by its rank's thread only; Abort() from any thread.
#pragma once

#include <memory>
#include <vector>

#include "parallel/communicator.h"
#include "parallel/rendezvous.h"

namespace sgl {

class SharedMemoryCommunicator final : public Communicator {
 public:
  // One communicator per rank of a new group of `size` ranks. REQUIRES: size >= 1.
  static std::vector<std::unique_ptr<Communicator>> CreateGroup(int size);

  SharedMemoryCommunicator(std::shared_ptr<Rendezvous> rendezvous, int rank);
  int rank() const override { return rank_; }
  int size() const override { return rendezvous_->size(); }
  Status AllReduceSum(Tensor x) override;
  Status AllGatherLastDim(const Tensor& x, Tensor out) override;
  Status Barrier() override;
  Status Broadcast(std::span<uint8_t> bytes, int root) override;
  void Abort() override { rendezvous_->Abort(); }

 private:
  // Every rank's post of one round, checked to have `bytes` each (all ranks fail alike
  // when one differs).
  Status Exchange(void* data, size_t bytes, const char* what);

  std::shared_ptr<Rendezvous> rendezvous_;
  int rank_;
  std::vector<Rendezvous::Post> posts_;
  std::vector<float> partial_;  // this rank's share of a sum, before it is written back
};

}  // namespace sgl
