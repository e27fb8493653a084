// Multi-turn chat: roles through the model's role template, each answer streamed to the
// terminal as it is generated, the conversation kept in the state.
#include <iostream>

#include "example_backend.h"

namespace lang = sgl::lang;

int main(int argc, char** argv) {
  auto backend = example::FromArgs(argc, argv);
  if (!backend) return 2;
  lang::Program<std::vector<std::string>> chat([](lang::State& s, std::vector<std::string> questions) {
    s += lang::system("You are a helpful assistant. Answer in one sentence.");
    for (size_t i = 0; i < questions.size(); ++i) {
      s += lang::user(questions[i]);
      s += lang::assistant(lang::gen("answer_" + std::to_string(i), {.max_tokens = 48, .temperature = 0, .stop = {"\n"}}));
    }
  });
  lang::RunOptions options = backend->options;
  options.on_text = [](std::string_view piece) { std::cout << piece << std::flush; };
  lang::State s = chat.Run(options, {"What is the tallest mountain on Earth?", "How high is it?", "Who first climbed it?"});
  std::cout << "\n--- " << s.messages().size() << " messages\n";
  for (const lang::Message& m : s.messages()) std::cout << m.role << ": " << m.content << "\n";
  return example::Report(s);
}
