// lang_programs: runs a fixed set of frontend-language programs and prints, as JSON, each
// one's final text and variables, so tests/e2e/test_lang_vs_python.py can compare them
// byte for byte with the same programs run by SGLang's own Python frontend.
// Usage: lang_programs --url http://127.0.0.1:PORT | --engine MODEL.gguf  [--regex]
#include <cstdio>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "sgl/lang.h"

namespace lang = sgl::lang;
using lang::gen;
using lang::GenOptions;
using lang::State;

namespace {

nlohmann::json Describe(const State& s) {
  nlohmann::json vars = nlohmann::json::object();
  for (const auto& [name, value] : s.variables())
    vars[name] = value.is_list() ? nlohmann::json(value.list()) : nlohmann::json(value.str());
  return {{"text", s.text()}, {"vars", vars}, {"error", s.ok() ? "" : s.status().message()},
          {"messages", s.messages().size()}};
}

GenOptions Greedy(int max_tokens) { return {.max_tokens = max_tokens, .temperature = 0}; }

nlohmann::json RunAll(const lang::RunOptions& options, bool with_regex) {
  nlohmann::json out;
  lang::Program<> capital([](State& s) {
    s += "The capital of France is" + gen("city", {.max_tokens = 16, .temperature = 0, .stop = {"."}});
  });
  out["capital"] = Describe(capital.Run(options));

  lang::Program<std::string> chat([](State& s, std::string question) {
    s += lang::system("You are a helpful assistant.");
    s += lang::user(question);
    s += lang::assistant(gen("answer", Greedy(12)));
    s += lang::user("And why?");
    s += lang::assistant(gen("why", Greedy(12)));
  });
  out["chat"] = Describe(chat.Run(options, "What is 2 + 2?"));

  lang::Program<> colors([](State& s) {
    s += "Here are two colors.";
    lang::ForkGroup forks = s.fork(2);
    forks += [](size_t i) { return lang::Expr(" Color number " + std::to_string(i + 1) + ":") + gen("color", Greedy(3)); };
    s += " First:" + forks[0]["color"].str() + " Second:" + forks[1]["color"].str();
    forks.Join();
  });
  out["fork"] = Describe(colors.Run(options));

  lang::Program<std::string> yes_no([](State& s, std::string question) {
    s += "Q: " + question + "\nA:" + lang::select("answer", {"yes", "no", "maybe"});
  });
  out["select"] = Describe(yes_no.Run(options, "Is the sky blue on a clear day?"));
  out["select2"] = Describe(yes_no.Run(options, "Can a fish climb a tree?"));

  lang::Program<std::string> complete([](State& s, std::string word) {
    s += "The opposite of " + word + " is" + gen("opposite", Greedy(4));
  });
  nlohmann::json batch = nlohmann::json::array();
  for (const State& s : complete.RunBatch(options, {{"hot"}, {"up"}, {"big"}}, 3)) batch.push_back(Describe(s));
  out["batch"] = batch;

  lang::RunOptions streaming = options;
  std::string streamed;
  streaming.on_text = [&streamed](std::string_view piece) { streamed += piece; };
  State story = chat.Run(streaming, "Tell me a short joke.");
  out["stream"] = Describe(story);
  out["stream"]["streamed"] = streamed;

  if (with_regex) {
    lang::Program<> extract([](State& s) {
      s += "Casablanca (1942) was directed by Michael Curtiz.\n";
      s += "Year: " + gen("year", {.max_tokens = 8, .temperature = 0, .regex = "(19|20)[0-9]{2}"}) + "\n";
      s += "Director: " + gen("director", {.max_tokens = 12, .temperature = 0, .regex = "[A-Z][a-z]+ [A-Z][a-z]+"});
    });
    out["regex"] = Describe(extract.Run(options));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url, model;
  bool with_regex = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--url" && i + 1 < argc) url = argv[++i];
    else if (a == "--engine" && i + 1 < argc) model = argv[++i];
    else if (a == "--regex") with_regex = true;
    else {
      std::fprintf(stderr, "usage: lang_programs --url URL | --engine MODEL [--regex]\n");
      return 2;
    }
  }
  lang::RunOptions options;
  std::unique_ptr<sgl::Engine> engine;
  if (!url.empty()) {
    auto backend = lang::HttpBackend::Connect(url);
    if (!backend.ok()) return std::fprintf(stderr, "%s\n", backend.status().message().c_str()), 1;
    options.backend = std::move(backend).value();
  } else if (!model.empty()) {
    sgl::EngineOptions o;
    o.model_path = model;
    o.device = "cpu";
    o.num_threads = 2;
    o.max_total_tokens = 8192;
    auto created = sgl::Engine::Create(o);
    if (!created.ok()) return std::fprintf(stderr, "%s\n", created.status().message().c_str()), 1;
    engine = std::move(created).value();
    options.backend = std::make_shared<lang::EngineBackend>(*engine);
  } else {
    std::fprintf(stderr, "usage: lang_programs --url URL | --engine MODEL [--regex]\n");
    return 2;
  }
  std::cout << RunAll(options, with_regex).dump(1) << "\n";
  return 0;
}
