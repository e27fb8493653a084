// sgl: one executable, git-style subcommands (serve, generate, tokenize, detokenize, bench).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "commands.h"

int main(int argc, char** argv) {
  // Logs go to stderr so that stdout carries only the command's output.
  spdlog::set_default_logger(spdlog::stderr_color_mt("sgl"));
  spdlog::set_pattern("[%H:%M:%S.%e] %^%l%$ %v");
  CLI::App app{"sglang.cpp: fast LLM serving and generation"};
  app.require_subcommand(1);
  int exit_code = 0;
  sgl::cli::AddGenerateCommand(app, &exit_code);
  sgl::cli::AddBenchCommand(app, &exit_code);
  sgl::cli::AddTokenizeCommands(app, &exit_code);
  sgl::cli::AddServeCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
