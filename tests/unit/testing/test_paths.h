// Paths of test data inside the source tree (the build passes SGL_SOURCE_DIR).
#pragma once

#include <fstream>
#include <sstream>
#include <string>

namespace sgl::testing {

inline std::string SourcePath(const std::string& relative) { return std::string(SGL_SOURCE_DIR) + "/" + relative; }

inline std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace sgl::testing
