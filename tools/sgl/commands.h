// The subcommands of the `sgl` executable. Each Add*Command registers its flags on the
// root CLI11 app and, when chosen, runs and stores the process exit code in `*exit_code`.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace sgl::cli {

void AddGenerateCommand(CLI::App& root, int* exit_code);
void AddBenchCommand(CLI::App& root, int* exit_code);

// The model used when --model-path is not given: $SGL_MODEL_PATH, else the default model
// (SmolLM2-135M-Instruct) in models/ under the working directory or beside the executable.
std::string DefaultModelPath();

}  // namespace sgl::cli
