// `sgl generate`: continue a prompt with the model, streaming to stdout (text for
// --prompt, token ids for --input-ids), then a final line with prefill and decode speed
// on stderr.
#include <chrono>
#include <cstdio>
#include <sstream>

#include <spdlog/spdlog.h>

#include "commands.h"
#include "sgl/engine.h"
#include "tokenizer/chat_prompt.h"
#include "tokenizer/tokenizer.h"

namespace sgl::cli {
namespace {

struct GenerateFlags {
  EngineOptions engine;
  SamplingParams sampling;
  std::string input_ids;
  std::string prompt;
  bool chat = false;
  uint64_t seed = 0;
  bool seed_set = false;
};

int Run(GenerateFlags& flags) {
  const bool text_mode = !flags.prompt.empty();
  std::unique_ptr<Tokenizer> tokenizer;
  Result<std::vector<int32_t>> ids = std::vector<int32_t>();
  if (text_mode) {
    auto tok = Tokenizer::FromModelPath(flags.engine.model_path);
    if (!tok.ok()) {
      spdlog::error("{}", tok.status().WithContext("loading the tokenizer").message());
      return 1;
    }
    tokenizer = std::move(tok).value();
    if (flags.chat) {
      auto chat = ChatPrompt::Load(flags.engine.model_path, *tokenizer);
      if (!chat.ok()) {
        spdlog::error("{}", chat.status().message());
        return 1;
      }
      nlohmann::ordered_json messages = nlohmann::ordered_json::array();
      messages.push_back({{"role", "user"}, {"content", flags.prompt}});
      ids = chat->Encode(messages, /*add_generation_prompt=*/true);
      if (!ids.ok()) {
        spdlog::error("{}", ids.status().message());
        return 1;
      }
    } else {
      ids = tokenizer->Encode(flags.prompt, /*add_special_tokens=*/true);
    }
  } else {
    ids = ParseTokenIds(flags.input_ids, "--input-ids");
    if (!ids.ok()) {
      spdlog::error("{}", ids.status().message());
      return 2;
    }
  }
  if (flags.seed_set) flags.sampling.seed = flags.seed;
  spdlog::info("loading {}", flags.engine.model_path);
  const auto load_start = std::chrono::steady_clock::now();
  auto engine = Engine::Create(flags.engine);
  if (!engine.ok()) {
    spdlog::error("{}", engine.status().message());
    return 1;
  }
  const ModelInfo info = (*engine)->Info();
  const double load_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - load_start).count();
  spdlog::info("loaded in {:.0f} ms: {} | {} | backend {} | KV cache {} tokens", load_ms, info.description,
               info.summary, info.backend, info.kv_capacity_tokens);
  // Text mode prints the engine's settled text (whole characters, stop strings cut off).
  auto result = (*engine)->Generate({.input_ids = *ids, .sampling = flags.sampling}, [&](const GenerateDelta& d) {
    if (text_mode) {
      std::fwrite(d.text.data(), 1, d.text.size(), stdout);
    } else {
      for (int32_t token : d.token_ids) std::printf("%d ", token);
    }
    std::fflush(stdout);
  });
  std::printf("\n");
  if (!result.ok()) {
    spdlog::error("{}", result.status().message());
    return 1;
  }
  const GenerateStats& s = result->stats;
  const double decode_tps = s.completion_tokens > 1 ? (s.completion_tokens - 1) / s.decode_seconds : 0;
  std::fprintf(stderr, "prefill: %lld tokens, %.1f tok/s | decode: %lld tokens, %.1f tok/s | finish: %s\n",
               static_cast<long long>(s.prompt_tokens), s.prompt_tokens / s.prefill_seconds,
               static_cast<long long>(s.completion_tokens), decode_tps, result->finish_reason.TypeName().c_str());
  return 0;
}

}  // namespace

void AddGenerateCommand(CLI::App& root, int* exit_code) {
  auto flags = std::make_shared<GenerateFlags>();
  flags->engine.model_path = DefaultModelPath();
  CLI::App* cmd = root.add_subcommand("generate", "Continue a prompt and stream the tokens to stdout");
  cmd->add_option("--model-path,--model", flags->engine.model_path, "A .gguf file or a Hugging Face folder")
      ->capture_default_str();
  auto* ids = cmd->add_option("--input-ids", flags->input_ids, "Prompt token ids, comma-separated (e.g. 1,2,3)");
  auto* prompt = cmd->add_option("--prompt", flags->prompt, "Prompt text, tokenized with the model's tokenizer (special tokens added); prints text");
  ids->excludes(prompt);
  cmd->add_flag("--chat", flags->chat, "Send --prompt as a user message through the model's chat template");
  cmd->add_option("--max-new-tokens", flags->sampling.max_new_tokens, "Tokens to generate")->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--temperature", flags->sampling.temperature, "Sampling temperature; 0 = greedy")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--top-p", flags->sampling.top_p, "Nucleus sampling mass in (0, 1]")->capture_default_str()
      ->check(CLI::Range(1e-6, 1.0));
  cmd->add_option("--top-k", flags->sampling.top_k, "Keep the k most likely tokens; -1 = all")->capture_default_str()
      ->check([](const std::string& v) { return v == "-1" || std::atoi(v.c_str()) >= 1 ? "" : "must be -1 or >= 1"; });
  cmd->add_option("--min-p", flags->sampling.min_p, "Drop tokens below min_p x the best probability")
      ->capture_default_str()->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--frequency-penalty", flags->sampling.frequency_penalty, "Penalty per repeat of an output token")
      ->capture_default_str()->check(CLI::Range(-2.0, 2.0));
  cmd->add_option("--presence-penalty", flags->sampling.presence_penalty, "Penalty for any output token seen")
      ->capture_default_str()->check(CLI::Range(-2.0, 2.0));
  cmd->add_option("--repetition-penalty", flags->sampling.repetition_penalty, "Penalty for tokens of prompt and output")
      ->capture_default_str()->check(CLI::Range(1e-6, 2.0));
  cmd->add_option("--min-new-tokens", flags->sampling.min_new_tokens, "Tokens to generate before EOS may end")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option_function<uint64_t>("--seed", [flags](uint64_t s) { flags->seed = s; flags->seed_set = true; },
                                     "Random seed for sampling");
  cmd->add_flag("--ignore-eos", flags->sampling.ignore_eos, "Do not stop at the end-of-sequence token");
  cmd->add_option("--stop", flags->sampling.stop, "Stop when the output text contains this string (repeatable)");
  cmd->add_option("--context-length", flags->engine.context_length, "Longest prompt + output in tokens (0 = the model's)")
      ->capture_default_str()->check(CLI::NonNegativeNumber);
  cmd->add_option("--mem-fraction-static", flags->engine.mem_fraction_static,
                  "Share of available memory for weights + KV cache when --max-total-tokens is 0 (0 = 0.88)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--threads", flags->engine.num_threads, "CPU threads (0 = all)")->capture_default_str();
  cmd->add_option("--device", flags->engine.device, "cpu, cuda, or auto (cuda when a GPU is visible)")->capture_default_str();
  AddTpSizeOption(*cmd, &flags->engine.tp_size);
  cmd->add_option("--max-total-tokens", flags->engine.max_total_tokens, "KV cache capacity in tokens (0 = auto)");
  cmd->add_option("--chunked-prefill-size", flags->engine.chunked_prefill_size,
                  "Prompt tokens per forward step; -1 disables chunking")
      ->capture_default_str()
      ->check([](const std::string& v) { return v == "-1" || std::atoll(v.c_str()) >= 1 ? "" : "must be -1 or >= 1"; });
  cmd->callback([flags, exit_code, cmd] {
    if (flags->input_ids.empty() && flags->prompt.empty()) throw CLI::RequiredError("--input-ids or --prompt");
    if (flags->chat && flags->prompt.empty()) throw CLI::ValidationError("--chat", "needs --prompt");
    if (flags->sampling.min_new_tokens > flags->sampling.max_new_tokens)
      throw CLI::ValidationError("--min-new-tokens", "must not exceed --max-new-tokens");
    *exit_code = Run(*flags);
  });
}

}  // namespace sgl::cli
