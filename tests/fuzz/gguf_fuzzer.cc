// libFuzzer target: GgufFile::Parse on arbitrary bytes must return an error or a file
// whose every tensor lies inside the input; it must never crash. When parsing succeeds,
// every tensor's first and last byte and every typed getter are exercised so that
// AddressSanitizer catches a view that points outside the input.
#include <cstddef>
#include <cstdint>

#include "format/gguf_file.h"
#include "model/model_config.h"

namespace {

void TouchTensor(const sgl::TensorView& view, volatile uint8_t& sink) {
  if (view.num_bytes == 0) return;
  const auto* data = static_cast<const uint8_t*>(view.data);
  sink = sink ^ data[0] ^ data[view.num_bytes - 1];
}

void CallEveryGetter(const sgl::GgufFile& file, const std::string& key) {
  (void)file.GetString(key);
  (void)file.GetInt(key);
  (void)file.GetFloat(key);
  (void)file.GetBool(key);
  (void)file.GetStringArray(key);
  (void)file.GetFloatArray(key);
  (void)file.GetIntArray(key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = sgl::GgufFile::Parse({data, size}, "fuzz.gguf");
  if (!file.ok()) return 0;
  volatile uint8_t sink = 0;
  for (const sgl::TensorView& view : (*file)->tensors()) {
    TouchTensor(view, sink);
    if ((*file)->FindTensor(view.name) == nullptr) __builtin_trap();
  }
  for (const auto& [key, value] : (*file)->metadata()) CallEveryGetter(**file, key);
  // Interpreting the metadata as a model must fail cleanly too.
  (void)sgl::ModelConfigFromGguf(**file);
  return 0;
}
