#include "parallel/rank_factory.h"

#include <algorithm>
#include <thread>
#include <vector>

#include "backend/backend_factory.h"
#include "parallel/shared_memory_communicator.h"
#ifdef SGL_HAVE_CUDA
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_device.h"
#endif
#ifdef SGL_HAVE_NCCL
#include "parallel/nccl_communicator.h"
#endif

namespace sgl {
namespace {

Result<RankFactory> CpuRanks(int size, int num_threads) {
  const int total = num_threads > 0 ? num_threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int per_rank = std::max(1, total / size);
  // Each rank takes its own member of the group; the vector outlives the factory's calls.
  auto group = std::make_shared<std::vector<std::unique_ptr<Communicator>>>(SharedMemoryCommunicator::CreateGroup(size));
  return RankFactory([group, per_rank](int rank) -> Result<RankResources> {
    RankResources r;
    SGL_ASSIGN_OR_RETURN(r.backend, CreateBackend({"cpu", per_rank, 0}));
    r.comm = std::move((*group)[rank]);
    return r;
  });
}

Result<RankFactory> CudaRanks(int size) {
#if defined(SGL_HAVE_CUDA) && defined(SGL_HAVE_NCCL)
  const int visible = cuda::DeviceCount();
  if (visible < size) return InvalidArgument("--tp-size {} needs {} GPUs, {} visible", size, size, visible);
  SGL_ASSIGN_OR_RETURN(auto comms, NcclCommunicator::CreateGroup(size));
  auto group = std::make_shared<std::vector<std::unique_ptr<NcclCommunicator>>>(std::move(comms));
  return RankFactory([group](int rank) -> Result<RankResources> {
    SGL_ASSIGN_OR_RETURN(std::unique_ptr<CudaBackend> backend, CudaBackend::Create(rank));
    // A replayed CUDA graph would run the step's kernels apart from the collectives
    // enqueued between them; tensor-parallel ranks run eagerly.
    backend->set_graph_max_batch(0);
    std::unique_ptr<NcclCommunicator>& comm = (*group)[rank];
    comm->set_stream(backend->stream());
    return RankResources{std::move(backend), std::move(comm)};
  });
#elif defined(SGL_HAVE_CUDA)
  return Unsupported("--tp-size {} on CUDA needs NCCL, which this build was configured without", size);
#else
  return Unsupported("--tp-size {} on CUDA: this build has no CUDA backend; use --device cpu", size);
#endif
}

}  // namespace

Result<RankFactory> MakeRankFactory(const std::string& device, int size, int num_threads) {
  if (size < 2) return InvalidArgument("tensor parallelism needs a tp size of at least 2, got {}", size);
  const std::string resolved = ResolveDevice(device);
  if (resolved == "cpu") return CpuRanks(size, num_threads);
  if (resolved == "cuda") return CudaRanks(size);
  return InvalidArgument("unknown device '{}' (cpu, cuda or auto)", device);
}

}  // namespace sgl
