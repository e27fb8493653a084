#include "constrain/grammar_compiler.h"

#include "constrain/ebnf_parser.h"
#include "constrain/regex_parser.h"

namespace sgl::constrain {
namespace {

std::string CacheKey(const GrammarSpec& spec) {
  std::string key;
  key += static_cast<char>('0' + static_cast<int>(spec.kind));
  key += spec.json.any_whitespace ? 'w' : 'c';
  key += std::to_string(spec.json.max_whitespace);
  key += '\n';
  key += spec.text;
  return key;
}

}  // namespace

Result<Grammar> BuildGrammar(const GrammarSpec& spec) {
  switch (spec.kind) {
    case GrammarKind::kRegex: {
      SGL_ASSIGN_OR_RETURN(ParsedRegex re, ParseRegex(spec.text));
      Grammar g;
      g.root_rule = g.AddRule("root", std::move(re.expr));
      return g;
    }
    case GrammarKind::kJsonSchema: return JsonSchemaToGrammar(spec.text, spec.json);
    case GrammarKind::kEbnf: return ParseEbnf(spec.text);
    case GrammarKind::kJsonObject: return AnyJsonGrammar(/*object_only=*/true, spec.json);
  }
  return InvalidArgument("unknown grammar kind");
}

GrammarCompiler::GrammarCompiler(std::shared_ptr<const TokenVocabulary> vocab, size_t max_cached,
                                 AutomatonLimits limits)
    : vocab_(std::move(vocab)), max_cached_(max_cached == 0 ? 1 : max_cached), limits_(limits) {}

GrammarCompiler::Outcome GrammarCompiler::CompileWithOutcome(const GrammarSpec& spec) {
  std::string key = CacheKey(spec);
  std::promise<CompileResult> promise;
  std::shared_future<CompileResult> in_cache;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      in_cache = it->second;
    } else {
      cache_.emplace(key, promise.get_future().share());
      order_.push_back(key);
      while (order_.size() > max_cached_) {
        cache_.erase(order_.front());
        order_.pop_front();
      }
    }
  }
  if (in_cache.valid()) return {in_cache.get(), true};  // waits if another thread is compiling it
  CompileResult result = [&]() -> CompileResult {
    SGL_ASSIGN_OR_RETURN(Grammar g, BuildGrammar(spec));
    return CompiledGrammar::Compile(g, vocab_, limits_);
  }();
  promise.set_value(result);
  return {std::move(result), false};
}

size_t GrammarCompiler::num_cached() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cache_.size();
}

}  // namespace sgl::constrain
