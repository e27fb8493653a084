#include <cstdlib>
#include <filesystem>

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

}  // namespace sgl::cli
