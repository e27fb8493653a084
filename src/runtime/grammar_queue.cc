#include "runtime/grammar_queue.h"

#include <chrono>

namespace sgl {

GrammarQueue::GrammarQueue(VocabularyFactory make_vocab, int num_threads)
    : make_vocab_(std::move(make_vocab)),
      jobs_(
          num_threads, [this](Job& job) { job.done(Prepare(job.spec)); },
          [](Job& job) { job.done(Status(StatusCode::kInternal, "the engine is shutting down")); }) {}

void GrammarQueue::Enqueue(constrain::GrammarSpec spec, Callback done) { jobs_.Push({std::move(spec), std::move(done)}); }

constrain::GrammarCompiler& GrammarQueue::compiler() {
  std::call_once(compiler_once_, [&] { compiler_ = std::make_unique<constrain::GrammarCompiler>(make_vocab_()); });
  return *compiler_;
}

Result<PreparedGrammar> GrammarQueue::Prepare(const constrain::GrammarSpec& spec) {
  const auto start = std::chrono::steady_clock::now();
  constrain::GrammarCompiler::Outcome outcome = compiler().CompileWithOutcome(spec);
  SGL_RETURN_IF_ERROR(outcome.grammar.status());
  PreparedGrammar prepared;
  prepared.matcher = std::make_unique<constrain::GrammarMatcher>(std::move(*outcome.grammar));
  prepared.compile_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  prepared.cache_hit = outcome.cache_hit;
  return prepared;
}

}  // namespace sgl
