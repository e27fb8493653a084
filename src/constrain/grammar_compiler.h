// GrammarCompiler: regex / JSON Schema / EBNF / any-JSON text -> CompiledGrammar for one
// vocabulary, cached by (kind, options, text). Thread-safe: any thread may call Compile;
// concurrent requests for the same key compile once and share the result (errors too).
// The cache keeps the most recent `max_cached` keys.
#pragma once

#include <cstdint>
#include <deque>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/status.h"
#include "constrain/compiled_grammar.h"
#include "constrain/json_schema_converter.h"
#include "constrain/token_vocabulary.h"

namespace sgl::constrain {

enum class GrammarKind { kRegex, kJsonSchema, kEbnf, kJsonObject };

struct GrammarSpec {
  GrammarKind kind = GrammarKind::kRegex;
  std::string text;  // the regex, schema or grammar (ignored for kJsonObject)
  JsonGrammarOptions json;
};

// The Grammar a spec stands for, without token masks (for tests and tools).
Result<Grammar> BuildGrammar(const GrammarSpec& spec);

class GrammarCompiler {
 public:
  using CompileResult = Result<std::shared_ptr<const CompiledGrammar>>;
  // A compile's result and whether it came from the cache (also when it waited for
  // another thread compiling the same key).
  struct Outcome {
    CompileResult grammar;
    bool cache_hit = false;
  };

  explicit GrammarCompiler(std::shared_ptr<const TokenVocabulary> vocab, size_t max_cached = 256,
                           AutomatonLimits limits = {});
  GrammarCompiler(const GrammarCompiler&) = delete;
  GrammarCompiler& operator=(const GrammarCompiler&) = delete;

  CompileResult Compile(const GrammarSpec& spec) { return CompileWithOutcome(spec).grammar; }
  Outcome CompileWithOutcome(const GrammarSpec& spec);
  size_t num_cached() const;
  const TokenVocabulary& vocab() const { return *vocab_; }

 private:
  std::shared_ptr<const TokenVocabulary> vocab_;
  size_t max_cached_;
  AutomatonLimits limits_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_future<CompileResult>> cache_;  // GUARDED_BY(mu_)
  std::deque<std::string> order_;                                    // GUARDED_BY(mu_), oldest first
};

}  // namespace sgl::constrain
