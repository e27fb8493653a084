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

Result<std::unique_ptr<Backend>> CreateBackend(const std::string& device, int num_threads) {
  const std::string resolved = ResolveDevice(device);
  if (resolved == "cpu") return std::unique_ptr<Backend>(std::make_unique<CpuBackend>(num_threads));
  if (resolved == "cuda") {
#ifdef SGL_HAVE_CUDA
    SGL_ASSIGN_OR_RETURN(std::unique_ptr<CudaBackend> cuda, CudaBackend::Create(0));
    return std::unique_ptr<Backend>(std::move(cuda));
#else
    return Unsupported("this build has no CUDA backend (nvcc was not found when it was configured); use --device cpu");
#endif
  }
  return InvalidArgument("unknown device '{}' (cpu, cuda or auto)", device);
}

}  // namespace sgl
