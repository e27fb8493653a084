// The deployment guides' multi-step workflow: describe an image, turn what is in it into
// JSON (regex-constrained), then write text that uses both earlier results. The turns
// share one conversation, so each later turn reuses the cached prefix (the image
// included). Without --image it works from a written scene. Mirrors
// examples/python/multi_step_workflow.py.
#include "example_backend.h"

namespace lang = sgl::lang;

const char* const kFactsRegex =
    R"re(\{"objects": \["[a-z ]{1,16}"(, "[a-z ]{1,16}"){0,2}\], "setting": "(indoor|outdoor)", )re"
    R"re("people": [0-9]\})re";

int main(int argc, char** argv) {
  auto backend = example::FromArgs(argc, argv);
  if (!backend) return 2;
  lang::Program<std::string> workflow([](lang::State& s, std::string image_path) {
    const std::string what =
        example::ImageOr(image_path, "Scene: two children fly a green kite on a windy beach next to a dog.");
    s += lang::system("You are a careful visual assistant.");
    s += lang::user(what + "Describe this image in one or two sentences.");
    s += lang::assistant(lang::gen("description", {.max_tokens = 48, .temperature = 0, .stop = {"\n\n"}}));
    s += lang::user("List what is in it as JSON.");
    s += lang::assistant(lang::gen("facts", {.max_tokens = 128, .temperature = 0, .regex = kFactsRegex}));
    s += lang::user("Using your description (" + s["description"].str() + ") and the facts " + s["facts"].str() +
                    ", write a one-line caption for the image.");
    s += lang::assistant(lang::gen("caption", {.max_tokens = 32, .temperature = 0, .stop = {"\n"}}));
  });
  lang::State s = workflow.Run(backend->options, backend->image_path);
  example::PrintJson(s,
                     {{"description", s["description"].str()}, {"facts", s["facts"].str()},
                      {"caption", s["caption"].str()}},
                     {{"facts", kFactsRegex}});
  return example::Report(s);
}
