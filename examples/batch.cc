// A batch run: one program over many arguments on several threads; the backend batches
// the concurrent requests and shares their common prefix.
#include <iostream>

#include "example_backend.h"

namespace lang = sgl::lang;

int main(int argc, char** argv) {
  auto backend = example::FromArgs(argc, argv);
  if (!backend) return 2;
  lang::Program<std::string> classify([](lang::State& s, std::string review) {
    s += "Classify the sentiment of the review.\nReview: " + review + "\nSentiment:" +
         lang::select("sentiment", {" positive", " negative"});
    s += "\nReason:" + lang::gen("reason", {.max_tokens = 16, .temperature = 0, .stop = {"\n"}});
  });
  const std::vector<std::tuple<std::string>> reviews = {
      {"I loved every minute of it."}, {"The food was cold and the waiter was rude."},
      {"Best purchase I made this year."}, {"It broke after two days."}};
  int failures = 0;
  for (const lang::State& s : classify.RunBatch(backend->options, reviews, 4)) {
    std::cout << s["sentiment"].str() << " |" << s["reason"].str() << "\n";
    failures += example::Report(s);
  }
  return failures == 0 ? 0 : 1;
}
