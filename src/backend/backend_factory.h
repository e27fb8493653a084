// Picks and constructs the Backend for a device name: "cpu", "cuda", or "auto" (CUDA when
// this build has it and a GPU is visible, else the CPU). Callable from any thread.
#pragma once

#include <memory>
#include <string>

#include "backend/backend.h"

namespace sgl {

// "auto" resolved to "cpu" or "cuda"; other names are returned unchanged.
std::string ResolveDevice(const std::string& device);

// num_threads: CPU threads (0: all hardware threads); unused on CUDA. Fails for an
// unknown device, or "cuda" in a build without CUDA or on a machine without a GPU.
Result<std::unique_ptr<Backend>> CreateBackend(const std::string& device, int num_threads);

}  // namespace sgl
