#include "backend/backend_factory.h"

#include "backend/cpu/cpu_backend.h"
#ifdef SGL_HAVE_CUDA
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_device.h"
#endif

namespace sgl {

std::string ResolveDevice(const std::string& device) {
  if (device != "auto" && !device.empty()) return device;
#ifdef SGL_HAVE_CUDA
  if (cuda::DeviceVisible()) return "cuda";
#endif
  return "cpu";
}

Result<std::unique_ptr<Backend>> CreateBackend(const BackendOptions& options) {
  const std::string resolved = ResolveDevice(options.device);
  if (resolved == "cpu") return std::unique_ptr<Backend>(std::make_unique<CpuBackend>(options.num_threads));
  if (resolved == "cuda") {
#ifdef SGL_HAVE_CUDA
    if (options.cuda_graph_max_bs < 0)
      return InvalidArgument("cuda_graph_max_bs must be >= 0 (0 turns CUDA graphs off), got {}", options.cuda_graph_max_bs);
    SGL_ASSIGN_OR_RETURN(std::unique_ptr<CudaBackend> cuda, CudaBackend::Create(0));
    cuda->set_graph_max_batch(options.cuda_graph_max_bs);
    return std::unique_ptr<Backend>(std::move(cuda));
#else
    return Unsupported("this build has no CUDA backend (nvcc was not found when it was configured); use --device cpu");
#endif
  }
  return InvalidArgument("unknown device '{}' (cpu, cuda or auto)", options.device);
}

}  // namespace sgl
