// GrammarQueue: compiles requests' grammars on threads of its own, so that a slow grammar
// delays only its own request, never the scheduler's steps. Owns the GrammarCompiler (and
// its cache) for one vocabulary, built on the first compile. Enqueue may be called from
// any thread; each job's callback runs once, on a queue thread, or in the destructor
// (with an error) for jobs that never started.
#pragma once

#include <functional>
#include <memory>
#include <mutex>

#include "base/job_queue.h"
#include "base/status.h"
#include "constrain/grammar_compiler.h"
#include "constrain/grammar_matcher.h"

namespace sgl {

// A request's compiled grammar, ready to run.
struct PreparedGrammar {
  std::unique_ptr<constrain::GrammarMatcher> matcher;
  double compile_seconds = 0;  // from the job's start to its grammar (waiting for the cache included)
  bool cache_hit = false;
};

class GrammarQueue {
 public:
  using VocabularyFactory = std::function<std::shared_ptr<const constrain::TokenVocabulary>()>;
  using Callback = std::function<void(Result<PreparedGrammar>)>;

  // `make_vocab` runs once, on a queue thread, at the first compile.
  GrammarQueue(VocabularyFactory make_vocab, int num_threads);
  // (Destruction finishes the jobs being compiled; the others get an error.)
  GrammarQueue(const GrammarQueue&) = delete;
  GrammarQueue& operator=(const GrammarQueue&) = delete;

  // Compiles `spec` and calls `done` with a matcher at its start, or the compile error.
  void Enqueue(constrain::GrammarSpec spec, Callback done);

 private:
  struct Job {
    constrain::GrammarSpec spec;
    Callback done;
  };
  Result<PreparedGrammar> Prepare(const constrain::GrammarSpec& spec);
  constrain::GrammarCompiler& compiler();

  VocabularyFactory make_vocab_;
  std::once_flag compiler_once_;
  std::unique_ptr<constrain::GrammarCompiler> compiler_;  // set once, under compiler_once_
  JobQueue<Job> jobs_;  // last: its threads stop before the fields above go
};

}  // namespace sgl
