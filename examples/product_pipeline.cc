// The deployment guides' product-photo pipeline: extract brand, category, features and
// appearance as regex-constrained JSON, write marketing copy from it, then compare the
// product with others of its category (a field read from the JSON). The program's
// result is a map of named results. Without --image it works from a written listing.
// Mirrors examples/python/product_pipeline.py.
#include <map>

#include "example_backend.h"

namespace lang = sgl::lang;

const char* const kProductRegex =
    R"re(\{"brand": "[A-Za-z ]{1,16}", "category": "(shoes|bag|watch|phone|jacket|lamp|other)", )re"
    R"re("features": \["[a-z ]{1,16}"(, "[a-z ]{1,16}"){0,2}\], "appearance": "[a-z ]{1,24}"\})re";

const lang::Program<std::string> kPipeline([](lang::State& s, std::string image_path) {
  const std::string what =
      example::ImageOr(image_path, "Listing: Trailmark running shoes, blue mesh with white soles, light and waterproof.");
  s += lang::system("You are a product analyst for an online shop.");
  s += lang::user(what + "Extract the product's brand, category, key features and appearance as JSON.");
  s += lang::assistant(lang::gen("product_info", {.max_tokens = 192, .temperature = 0, .regex = kProductRegex}));
  if (!s.ok()) return;
  const nlohmann::json info = nlohmann::json::parse(s["product_info"].str(), nullptr, false);
  if (info.is_discarded() || !info.contains("category")) {
    s.set("category", lang::Value(""));
    return;
  }
  s.set("category", lang::Value(info["category"].get<std::string>()));
  s += lang::user("Write two sentences of marketing copy for this product.");
  s += lang::assistant(lang::gen("marketing_copy", {.max_tokens = 48, .temperature = 0, .stop = {"\n\n"}}));
  s += lang::user("How does it compare with other " + s["category"].str() + " products? Answer in one sentence.");
  s += lang::assistant(lang::gen("comparison", {.max_tokens = 40, .temperature = 0, .stop = {"\n"}}));
});

// The program's named results, with the state they came from (errors, cache metadata).
struct ProductResults {
  lang::State state;
  std::map<std::string, std::string> named;
};

ProductResults AnalyzeProduct(const lang::RunOptions& options, const std::string& image_path) {
  lang::State s = kPipeline.Run(options, image_path);
  std::map<std::string, std::string> named;
  for (const char* name : {"product_info", "category", "marketing_copy", "comparison"}) named[name] = s[name].str();
  return {std::move(s), std::move(named)};
}

int main(int argc, char** argv) {
  auto backend = example::FromArgs(argc, argv);
  if (!backend) return 2;
  const ProductResults r = AnalyzeProduct(backend->options, backend->image_path);
  example::PrintJson(r.state, r.named, {{"product_info", kProductRegex}});
  if (r.state.ok() && r.named.at("category").empty()) return std::fprintf(stderr, "error: product_info is not JSON\n"), 1;
  return example::Report(r.state);
}
