// libFuzzer target: SafetensorsFile::Parse on arbitrary bytes must return an error or a
// file whose every tensor lies inside the input; it must never crash (nor let a JSON
// exception escape). Each tensor's first and last byte is read so AddressSanitizer
// catches a view that points outside the input.
#include <cstddef>
#include <cstdint>

#include "format/safetensors_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = sgl::SafetensorsFile::Parse({data, size}, "fuzz.safetensors");
  if (!file.ok()) return 0;
  volatile uint8_t sink = 0;
  for (const sgl::TensorView& view : (*file)->tensors()) {
    if ((*file)->FindTensor(view.name) != &view) __builtin_trap();
    if (view.num_bytes == 0) continue;
    const auto* bytes = static_cast<const uint8_t*>(view.data);
    sink = sink ^ bytes[0] ^ bytes[view.num_bytes - 1];
  }
  return 0;
}
