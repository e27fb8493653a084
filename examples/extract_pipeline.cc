// A multi-step pipeline: extract fields from a text with regex-constrained gens, then use
// them in a summary. Each step's prompt extends the previous one, so the engine reuses the
// cached prefix at every step.
#include <iostream>

#include "example_backend.h"

namespace lang = sgl::lang;

int main(int argc, char** argv) {
  auto backend = example::FromArgs(argc, argv);
  if (!backend) return 2;
  lang::Program<std::string> pipeline([](lang::State& s, std::string document) {
    s += "Document: " + document + "\n\nExtract the fields.\n";
    s += "Name: " + lang::gen("name", {.max_tokens = 16, .temperature = 0, .regex = "[A-Z][a-z]+( [A-Z][a-z]+)+"}) + "\n";
    s += "Year of birth: " + lang::gen("year", {.max_tokens = 8, .temperature = 0, .regex = "1[0-9]{3}"}) + "\n";
    s += "Field: " + lang::gen("field", {.max_tokens = 8, .temperature = 0, .regex = "(physics|chemistry|mathematics|biology)"}) + "\n";
    s += "\nOne-sentence summary of " + s["name"].str() + ":" +
         lang::gen("summary", {.max_tokens = 40, .temperature = 0, .stop = {"\n"}});
  });
  lang::State s = pipeline.Run(backend->options,
                               "Marie Curie was born in Warsaw in 1867. She studied physics and chemistry in Paris "
                               "and won two Nobel Prizes, the first in physics in 1903.");
  for (const char* field : {"name", "year", "field", "summary"}) std::cout << field << ": " << s[field].str() << "\n";
  if (auto meta = s.meta("summary")) std::cout << "summary step reused " << meta->cached_tokens << " cached tokens\n";
  return example::Report(s);
}
