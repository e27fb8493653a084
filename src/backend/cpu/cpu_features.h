// Run-time CPU feature checks that both GCC and clang understand (clang 14's
// __builtin_cpu_supports does not know "f16c", so that one is read from CPUID).
#pragma once

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace sgl::cpu {

inline bool CpuHasF16c() {
#if defined(__x86_64__)
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  return (ecx & bit_F16C) != 0;
#else
  return false;
#endif
}

}  // namespace sgl::cpu
