#include "runtime/kv_capacity.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sgl {

Result<int64_t> KvCapacityTokens(const KvBudget& b) {
  if (b.mem_fraction_static <= 0 || b.mem_fraction_static > 1)
    return InvalidArgument("mem_fraction_static must be in (0, 1], got {}", b.mem_fraction_static);
  if (b.bytes_per_token <= 0) return InvalidArgument("KV bytes per token must be positive");
  const double for_kv = b.mem_fraction_static * static_cast<double>(b.available_bytes) - static_cast<double>(b.weights_bytes);
  if (for_kv < static_cast<double>(b.bytes_per_token))
    return InvalidArgument(
        "no memory left for the KV cache: mem_fraction_static {} of {} MiB available minus {} MiB of weights; "
        "raise mem_fraction_static or set max_total_tokens",
        b.mem_fraction_static, b.available_bytes >> 20, b.weights_bytes >> 20);
  const int64_t tokens = static_cast<int64_t>(for_kv / static_cast<double>(b.bytes_per_token));
  return b.max_useful_tokens > 0 ? std::min(tokens, b.max_useful_tokens) : tokens;
}

Result<int64_t> MemAvailableBytes(const std::string& meminfo_path) {
  std::ifstream in(meminfo_path);
  if (!in) return IoError("{}: cannot open", meminfo_path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key, unit;
    int64_t value = 0;
    if (!(fields >> key >> value)) continue;
    if (key != "MemAvailable:") continue;
    fields >> unit;
    if (unit != "kB" || value < 0) return Corrupt("{}: unexpected MemAvailable line '{}'", meminfo_path, line);
    return value * 1024;
  }
  return Corrupt("{}: no MemAvailable line", meminfo_path);
}

int64_t WeightFileBytes(const std::string& model_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(model_path, ec)) {
    const auto size = fs::file_size(model_path, ec);
    return ec ? 0 : static_cast<int64_t>(size);
  }
  int64_t total = 0;
  for (const auto& entry : fs::directory_iterator(model_path, ec)) {
    const std::string ext = entry.path().extension().string();
    if (entry.is_regular_file(ec) && (ext == ".safetensors" || ext == ".bin" || ext == ".gguf"))
      total += static_cast<int64_t>(entry.file_size(ec));
  }
  return total;
}

}  // namespace sgl
