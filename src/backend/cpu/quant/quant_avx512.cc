#include "backend/cpu/quant/quant_impl.h"
namespace sgl::cpu::internal {
const IsaKernels* Avx512Kernels() { return nullptr; }
}
