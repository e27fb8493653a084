// NcclCommunicator: the Communicator of ranks that are GPUs of one host, one thread per GPU,
// over NCCL (built when CUDA and NCCL are found: SGL_HAVE_NCCL). Collectives are enqueued
// on the rank's backend stream, in order with its ops, and return at once; Barrier and
// Broadcast wait for the stream. Tensors are device memory (F32, F16 or BF16). Each object
// is used by its rank's thread only; Abort() (any thread) aborts every communicator of
// the group so that no GPU waits forever on a rank that failed.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <cuda_runtime_api.h>
#include <nccl.h>

#include "parallel/communicator.h"

namespace sgl {

class NcclCommunicator final : public Communicator {
 public:
  // One communicator per GPU 0..size-1 (ncclCommInitAll). Fails with NCCL's message.
  static Result<std::vector<std::unique_ptr<NcclCommunicator>>> CreateGroup(int size);
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  // The stream collectives are enqueued on (the rank's backend's). REQUIRES: set before use.
  void set_stream(cudaStream_t stream) { stream_ = stream; }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  Status AllReduceSum(Tensor x) override;
  Status AllGatherLastDim(const Tensor& x, Tensor out) override;
  Status Barrier() override;
  Status Broadcast(std::span<uint8_t> bytes, int root) override;
  void Abort() override;

 private:
  // What the ranks of one group share: their communicators, for Abort.
  struct Group {
    std::mutex mu;
    bool aborted = false;  // guarded by mu
    std::vector<ncclComm_t> comms;
  };
  NcclCommunicator(std::shared_ptr<Group> group, int rank, int size);
  Status Check(ncclResult_t result, const char* what) const;
  Status Aborted() const;
  // Device scratch of at least `bytes`, kept and grown.
  Result<void*> Scratch(size_t bytes);

  std::shared_ptr<Group> group_;
  int rank_, size_;
  cudaStream_t stream_ = nullptr;
  void* scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
};

}  // namespace sgl
