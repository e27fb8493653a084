// RankFactory: how each tensor-parallel rank gets its backend and its communicator.
// MakeRankFactory builds the group for a device up front (the shared-memory rendezvous on
// the CPU, ncclCommInitAll over GPUs 0..size-1 on CUDA) and returns a factory that hands
// rank r its backend and communicator; the factory is called once per rank, on that rank's
// own thread (a CUDA backend binds to the thread that creates it), ranks concurrently.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "backend/backend.h"
#include "parallel/communicator.h"

namespace sgl {

struct RankResources {
  std::unique_ptr<Backend> backend;
  std::unique_ptr<Communicator> comm;
};
using RankFactory = std::function<Result<RankResources>(int rank)>;

// device: "cpu", "cuda" or "auto"; num_threads: CPU threads of all ranks together (0: all
// hardware threads), split evenly. Fails for fewer visible GPUs than `size`, a device
// without a communicator in this build (CUDA without NCCL), or size < 2.
Result<RankFactory> MakeRankFactory(const std::string& device, int size, int num_threads);

}  // namespace sgl
