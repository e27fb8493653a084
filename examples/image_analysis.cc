// The deployment guides' first program: an image analysis that answers in JSON under a
// regex constraint (system role, user text with the image inline, assistant gen with a
// regex). Without --image it analyses a written description instead. Mirrors
// examples/python/image_analysis.py.
#include "example_backend.h"

namespace lang = sgl::lang;

// Bounded so that any output the grammar allows fits in max_tokens (a token is >= 1 byte).
const char* const kAnalysisRegex =
    R"re(\{"subject": "[a-z ]{1,24}", "colors": \["[a-z]{3,10}"(, "[a-z]{3,10}"){0,2}\], )re"
    R"re("mood": "(calm|busy|tense|cheerful)"\})re";

int main(int argc, char** argv) {
  auto backend = example::FromArgs(argc, argv);
  if (!backend) return 2;
  lang::Program<std::string> analyze([](lang::State& s, std::string image_path) {
    const std::string what =
        example::ImageOr(image_path, "A red bicycle leans against a yellow wall on a quiet street at dawn.");
    s += lang::system("You are an image analyst. Answer with one JSON object and nothing else.");
    s += lang::user(what + "Analyze this image: its main subject, its colors and its mood.");
    s += lang::assistant(lang::gen("analysis", {.max_tokens = 128, .temperature = 0, .regex = kAnalysisRegex}));
  });
  lang::State s = analyze.Run(backend->options, backend->image_path);
  example::PrintJson(s, {{"analysis", s["analysis"].str()}}, {{"analysis", kAnalysisRegex}});
  return example::Report(s);
}
