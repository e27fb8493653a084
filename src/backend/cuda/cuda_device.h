// Whether a CUDA GPU is usable from this process, and what it is. Safe to call from any
// thread and on machines without a GPU or driver (the answer is then "none").
#pragma once

#include <string>

namespace sgl::cuda {

// True when the runtime sees at least one device.
bool DeviceVisible();
// How many devices the runtime sees (0 without a GPU or driver).
int DeviceCount();
// e.g. "NVIDIA H200 (sm_90, 132 SMs, 139.8 GiB)"; "" when no device is visible.
std::string DeviceDescription(int device);
// Multiprocessors of the calling thread's current device (at least 1).
int CurrentDeviceMultiprocessors();

}  // namespace sgl::cuda
