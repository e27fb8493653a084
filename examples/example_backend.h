// What every example starts with: a backend from the command line, either the in-process
// engine on a model file (the default) or `--url http://host:port` for a server speaking
// SGLang's native API (`sgl serve`, or a Python SGLang server); the guide's image
// examples also take `--image PATH` (without it they run their text-only form).
#pragma once

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "sgl/lang.h"

namespace example {

struct Backend {
  std::unique_ptr<sgl::Engine> engine;  // owns the model when running in process
  sgl::lang::RunOptions options;
  std::string image_path;  // --image; empty: none
};

// argv: (MODEL.gguf | --url URL) [--image PATH]. Prints the problem and returns nullptr on failure.
inline std::unique_ptr<Backend> FromArgs(int argc, char** argv) {
  auto b = std::make_unique<Backend>();
  if (argc >= 3 && std::string(argv[argc - 2]) == "--image") {
    b->image_path = argv[argc - 1];
    argc -= 2;
  }
  if (argc == 3 && std::string(argv[1]) == "--url") {
    auto http = sgl::lang::HttpBackend::Connect(argv[2]);
    if (!http.ok()) return std::fprintf(stderr, "%s\n", http.status().message().c_str()), nullptr;
    b->options.backend = std::move(http).value();
    return b;
  }
  if (argc != 2)
    return std::fprintf(stderr, "usage: %s (MODEL.gguf | --url http://host:port) [--image PATH]\n", argv[0]), nullptr;
  sgl::EngineOptions o;
  o.model_path = argv[1];
  o.num_threads = 2;
  o.max_total_tokens = 8192;
  auto engine = sgl::Engine::Create(o);
  if (!engine.ok()) return std::fprintf(stderr, "%s\n", engine.status().message().c_str()), nullptr;
  b->engine = std::move(engine).value();
  b->options.backend = std::make_shared<sgl::lang::EngineBackend>(*b->engine);
  return b;
}

// Prints a failed state's error; returns the exit code.
inline int Report(const sgl::lang::State& s) {
  if (s.ok()) return 0;
  std::fprintf(stderr, "error: %s\n", s.status().message().c_str());
  return 1;
}

// The start of a user turn about an image: the image named inline, as the deployment
// guides write it, or without one (text-only runs) a written stand-in for it.
inline std::string ImageOr(const std::string& path, const std::string& stand_in) {
  return (path.empty() ? stand_in : "<image>" + path + "</image>") + "\n";
}

// One JSON line for tests and scripts: the named results, each gen's regex, and each gen's
// prompt and cached tokens (the prefix cache at work across the turns).
inline void PrintJson(const sgl::lang::State& s, const std::map<std::string, std::string>& results,
                      const std::map<std::string, std::string>& patterns) {
  nlohmann::json out = {{"results", results}, {"patterns", patterns}, {"meta", nlohmann::json::object()},
                        {"error", s.ok() ? "" : s.status().message()}};
  for (const auto& [name, value] : s.variables())
    if (auto meta = s.meta(name))
      out["meta"][name] = {{"prompt_tokens", meta->prompt_tokens}, {"cached_tokens", meta->cached_tokens},
                           {"finish_reason", meta->finish_reason}};
  std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

}  // namespace example
