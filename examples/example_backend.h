// What every example starts with: a backend from the command line, either the in-process
// engine on a model file (the default) or `--url http://host:port` for a server speaking
// SGLang's native API (`sgl serve`, or a Python SGLang server).
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "sgl/lang.h"

namespace example {

struct Backend {
  std::unique_ptr<sgl::Engine> engine;  // owns the model when running in process
  sgl::lang::RunOptions options;
};

// argv: MODEL.gguf | --url URL. Prints the problem and returns nullptr on failure.
inline std::unique_ptr<Backend> FromArgs(int argc, char** argv) {
  auto b = std::make_unique<Backend>();
  if (argc == 3 && std::string(argv[1]) == "--url") {
    auto http = sgl::lang::HttpBackend::Connect(argv[2]);
    if (!http.ok()) return std::fprintf(stderr, "%s\n", http.status().message().c_str()), nullptr;
    b->options.backend = std::move(http).value();
    return b;
  }
  if (argc != 2) return std::fprintf(stderr, "usage: %s MODEL.gguf | --url http://host:port\n", argv[0]), nullptr;
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

}  // namespace example
