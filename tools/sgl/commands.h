// The subcommands of the `sgl` executable. Each Add*Command registers its flags on the
// root CLI11 app and, when chosen, runs and stores the process exit code in `*exit_code`.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/status.h"

namespace sgl::cli {

void AddGenerateCommand(CLI::App& root, int* exit_code);
void AddBenchCommand(CLI::App& root, int* exit_code);
void AddTokenizeCommands(CLI::App& root, int* exit_code);  // tokenize and detokenize
void AddServeCommand(CLI::App& root, int* exit_code);
// `bench serving` and `bench offline`, under `bench`.
void AddBenchServingCommand(CLI::App& bench, int* exit_code);
void AddBenchOfflineCommand(CLI::App& bench, int* exit_code);

// The model used when --model-path is not given: $SGL_MODEL_PATH, else the default model
// (SmolLM2-135M-Instruct) in models/ under the working directory or beside the executable.
std::string DefaultModelPath();

// --tp-size / --tensor-parallel-size (SGLang's names) into `*tp_size`.
void AddTpSizeOption(CLI::App& cmd, int* tp_size);

// "1,2,3" -> ids; an error names `flag` and the bad item.
Result<std::vector<int32_t>> ParseTokenIds(const std::string& text, const std::string& flag);

}  // namespace sgl::cli
