// libFuzzer target: a Hugging Face config.json of arbitrary bytes must parse into a
// ModelConfig or fail with a Status; it must never crash or throw.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "format/json_document.h"
#include "model/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto json = sgl::ParseJsonDocument(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!json.ok()) return 0;
  auto config = sgl::ModelConfigFromHf(*json);
  if (config.ok() && !config->Validate().ok()) __builtin_trap();  // a returned config is always valid
  return 0;
}
