// Branch and join: fork the state into several branches that each expand one tip in
// parallel (sharing the prompt's KV), then join their answers back into one summary.
#include <iostream>

#include "example_backend.h"

namespace lang = sgl::lang;

int main(int argc, char** argv) {
  auto backend = example::FromArgs(argc, argv);
  if (!backend) return 2;
  lang::Program<std::string> tips([](lang::State& s, std::string topic) {
    s += "Here are two tips for " + topic + ": 1. Balanced diet. 2. Regular exercise.\n\n";
    lang::ForkGroup forks = s.fork(2);
    forks += [](size_t i) {
      return lang::Expr("Now, expand tip " + std::to_string(i + 1) + " into a paragraph:\n") +
             lang::gen("detail", {.max_tokens = 48, .temperature = 0, .stop = {"\n\n"}});
    };
    forks.Join();
    s += "Tip 1:" + s["detail"].list()[0] + "\n";
    s += "Tip 2:" + s["detail"].list()[1] + "\n";
    s += "In summary," + lang::gen("summary", {.max_tokens = 32, .temperature = 0, .stop = {"\n"}});
  });
  lang::State s = tips.Run(backend->options, "staying healthy");
  std::cout << s.text() << "\n";
  return example::Report(s);
}
