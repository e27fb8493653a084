#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "commands.h"

namespace sgl::cli {

std::string DefaultModelPath() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("SGL_MODEL_PATH"); env != nullptr && *env != '\0') return env;
  const fs::path file = "models/SmolLM2-135M-Instruct.Q4_1.gguf";
  std::error_code ec;
  std::vector<fs::path> roots = {fs::current_path(ec)};
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    // The executable lives in build/ (or deeper); look upwards for the repository.
    for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path())
      roots.push_back(dir);
  }
  for (const fs::path& root : roots)
    if (fs::exists(root / file, ec)) return (root / file).string();
  return file.string();
}

Result<std::vector<int32_t>> ParseTokenIds(const std::string& text, const std::string& flag) {
  std::vector<int32_t> ids;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      return InvalidArgument("{}: '{}' is not an integer", flag, item);
    }
    if (item.find_first_not_of(" \t", used) != std::string::npos || v < 0 || v > INT32_MAX)
      return InvalidArgument("{}: '{}' is not a token id", flag, item);
    ids.push_back(static_cast<int32_t>(v));
  }
  return ids;
}

void AddTpSizeOption(CLI::App& cmd, int* tp_size) {
  cmd.add_option("--tp-size,--tensor-parallel-size", *tp_size,
                 "Tensor-parallel ranks: GPUs 0..N-1 with --device cuda, threads sharing --threads on cpu")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

}  // namespace sgl::cli
