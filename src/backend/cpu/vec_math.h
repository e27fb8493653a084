// Small float vector kernels shared by the CPU ops (norms, scaling). Each is compiled
// for AVX-512, AVX2 and plain x86-64 and the best clone is picked when the program loads.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>

namespace sgl::cpu {

// y *= a
void ScaleF32(float a, float* y, int64_t n);
float SumOfSquaresF32(const float* x, int64_t n);

}  // namespace sgl::cpu
