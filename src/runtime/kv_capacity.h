// KV cache capacity when --max-total-tokens is not given, as SGLang sizes it: a share
// (mem_fraction_static) of the memory available to the backend holds the weights and the
// KV cache; the KV cache gets what the weights leave, capped at what the longest
// requests could ever use. Pure functions apart from reading /proc/meminfo; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace sgl {

struct KvBudget {
  int64_t available_bytes = 0;   // MemAvailable on the CPU; a GPU's total memory
  double mem_fraction_static = 0.88;
  int64_t weights_bytes = 0;     // on a GPU: all memory in use once the weights are loaded
  int64_t bytes_per_token = 0;   // KV of one token over all layers
  int64_t max_useful_tokens = 0; // context length x max running requests
};

// Tokens of KV cache the budget allows; an error when the weights leave no room.
Result<int64_t> KvCapacityTokens(const KvBudget& budget);

// MemAvailable from a /proc/meminfo-formatted file, in bytes.
Result<int64_t> MemAvailableBytes(const std::string& meminfo_path = "/proc/meminfo");

// Bytes of the model's weight files: the .gguf file, or a folder's *.safetensors / *.bin.
int64_t WeightFileBytes(const std::string& model_path);

}  // namespace sgl
