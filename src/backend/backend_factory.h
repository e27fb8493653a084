// Picks and constructs the Backend for a device name: "cpu", "cuda", or "auto" (CUDA when
// this build has it and a GPU is visible, else the CPU). Callable from any thread.
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"

namespace sgl {

// "auto" resolved to "cpu" or "cuda"; other names are returned unchanged.
std::string ResolveDevice(const std::string& device);

struct BackendOptions {
  std::string device = "auto";  // cpu, cuda or auto
  int num_threads = 0;          // CPU threads (0: all hardware threads); unused on CUDA
  int cuda_graph_max_bs = 256;  // largest decode batch run through CUDA graphs; 0: no graphs
};

// Fails for an unknown device, or "cuda" in a build without CUDA or on a machine
// without a GPU.
Result<std::unique_ptr<Backend>> CreateBackend(const BackendOptions& options);

}  // namespace sgl
