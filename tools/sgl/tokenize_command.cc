// `sgl tokenize` (text -> {"input_ids": [...]}) and `sgl detokenize` (ids -> text), with
// the tokenizer of --model-path (a .gguf's metadata or an HF folder's tokenizer.json).
#include <cstdio>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "tokenizer/tokenizer.h"

namespace sgl::cli {
namespace {

struct TokenizeFlags {
  std::string model_path;
  std::string text;
  std::string ids;
  bool add_special_tokens = false;
  bool skip_special_tokens = false;
};

Result<std::unique_ptr<Tokenizer>> LoadTokenizer(const std::string& model_path) {
  auto tok = Tokenizer::FromModelPath(model_path);
  if (!tok.ok()) return tok.status().WithContext("loading the tokenizer");
  return tok;
}

int RunTokenize(const TokenizeFlags& flags) {
  auto tok = LoadTokenizer(flags.model_path);
  if (!tok.ok()) {
    spdlog::error("{}", tok.status().message());
    return 1;
  }
  const nlohmann::json out = {{"input_ids", (*tok)->Encode(flags.text, flags.add_special_tokens)}};
  std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  return 0;
}

int RunDetokenize(const TokenizeFlags& flags) {
  auto ids = ParseTokenIds(flags.ids, "--ids");
  if (!ids.ok()) {
    spdlog::error("{}", ids.status().message());
    return 2;
  }
  auto tok = LoadTokenizer(flags.model_path);
  if (!tok.ok()) {
    spdlog::error("{}", tok.status().message());
    return 1;
  }
  for (const int32_t id : *ids) {
    if (id >= (*tok)->vocab_size()) {
      spdlog::error("--ids: token {} is outside the vocabulary (size {})", id, (*tok)->vocab_size());
      return 1;
    }
  }
  const std::string text = (*tok)->Decode(*ids, flags.skip_special_tokens);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::printf("\n");
  return 0;
}

}  // namespace

void AddTokenizeCommands(CLI::App& root, int* exit_code) {
  auto flags = std::make_shared<TokenizeFlags>();
  flags->model_path = DefaultModelPath();
  CLI::App* tokenize = root.add_subcommand("tokenize", "Print the token ids of a text as {\"input_ids\": [...]}");
  tokenize->add_option("--model-path,--model", flags->model_path, "A .gguf file or a Hugging Face folder")
      ->capture_default_str();
  tokenize->add_option("--text", flags->text, "The text to tokenize")->required();
  tokenize->add_flag("--add-special-tokens", flags->add_special_tokens, "Add the model's special tokens (e.g. BOS)");
  tokenize->callback([flags, exit_code] { *exit_code = RunTokenize(*flags); });

  CLI::App* detokenize = root.add_subcommand("detokenize", "Print the text of comma-separated token ids");
  detokenize->add_option("--model-path,--model", flags->model_path, "A .gguf file or a Hugging Face folder")
      ->capture_default_str();
  detokenize->add_option("--ids", flags->ids, "Token ids, comma-separated (e.g. 1,2,3)")->required();
  detokenize->add_flag("--skip-special-tokens", flags->skip_special_tokens, "Leave special tokens out of the text");
  detokenize->callback([flags, exit_code] { *exit_code = RunDetokenize(*flags); });
}

}  // namespace sgl::cli
