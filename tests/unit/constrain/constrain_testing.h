// Helpers for the constrain/ tests: whole-string matching through the automaton, random
// byte walks that only take allowed bytes, the SmolLM2 vocabulary, grammars compiled over
// it, and next-token masks.
#pragma once

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "constrain/compiled_grammar.h"
#include "constrain/grammar.h"
#include "constrain/grammar_automaton.h"
#include "constrain/grammar_compiler.h"
#include "constrain/grammar_matcher.h"
#include "constrain/pda_runner.h"
#include "constrain/token_vocabulary.h"
#include "testing/test_paths.h"
#include "tokenizer/tokenizer.h"

namespace sgl::constrain::testing {

inline bool Accepts(const GrammarAutomaton& a, std::string_view text) {
  StackPool pool;
  PdaRunner runner(a, pool);
  StackSet cur = runner.Start(), next;
  for (char c : text) {
    runner.Advance(cur, static_cast<uint8_t>(c), next);
    std::swap(cur, next);
    if (cur.ready.empty() && !cur.can_end) return false;
  }
  return cur.can_end;
}

inline bool Accepts(const Grammar& g, std::string_view text) {
  auto a = GrammarAutomaton::Build(g);
  return a.ok() && Accepts(*a, text);
}

// A string the automaton accepts, chosen byte by byte among allowed bytes; nullopt if
// no end was reached within `max_len` bytes.
inline std::optional<std::string> RandomWalk(const GrammarAutomaton& a, std::mt19937& rng, size_t max_len,
                                             double stop_probability = 0.2) {
  StackPool pool;
  PdaRunner runner(a, pool);
  StackSet cur = runner.Start(), next;
  std::string out;
  while (true) {
    if (cur.can_end && (cur.ready.empty() || std::uniform_real_distribution<>(0, 1)(rng) < stop_probability ||
                        out.size() >= max_len)) {
      return out;
    }
    if (out.size() >= 2 * max_len || cur.ready.empty()) return std::nullopt;
    ByteSet allowed;
    for (int32_t s : cur.ready) allowed.Union(a.allowed_bytes(pool.node(s).state));
    int n = allowed.Count(), pick = std::uniform_int_distribution<>(0, n - 1)(rng), b = 0;
    for (;; ++b) {
      if (allowed.Contains(static_cast<uint8_t>(b)) && pick-- == 0) break;
    }
    runner.Advance(cur, static_cast<uint8_t>(b), next);
    std::swap(cur, next);
    out += static_cast<char>(b);
  }
}

// SmolLM2's vocabulary from its tokenizer.json (committed compressed, unpacked into the
// build); <|im_end|> (its EOS) stops.
inline std::shared_ptr<const TokenVocabulary> SmolLm2Vocab() {
  static std::shared_ptr<const TokenVocabulary> vocab = [] {
    auto tok = Tokenizer::FromTokenizerJson(std::string(SGL_TOKENIZER_FIXTURES) + "/smollm2.tokenizer.json");
    if (!tok.ok()) return std::shared_ptr<const TokenVocabulary>();
    int32_t n = static_cast<int32_t>((*tok)->vocab_size());
    std::vector<std::string> bytes(n);
    std::vector<int32_t> special;
    for (int32_t id = 0; id < n; ++id) {
      bytes[id] = (*tok)->TokenBytes(id);
      if ((*tok)->IsSpecial(id)) special.push_back(id);
    }
    std::vector<int32_t> stop = (*tok)->Encode("<|im_end|>", false);
    return std::make_shared<const TokenVocabulary>(std::move(bytes), stop, special);
  }();
  return vocab;
}

// `text` as a `kind` grammar compiled over SmolLm2Vocab; null (and a test failure) if it
// does not build.
inline std::shared_ptr<const CompiledGrammar> CompileOrDie(GrammarKind kind, std::string text) {
  auto vocab = SmolLm2Vocab();
  EXPECT_TRUE(vocab);
  GrammarSpec spec;
  spec.kind = kind;
  spec.text = std::move(text);
  auto g = BuildGrammar(spec);
  EXPECT_TRUE(g.ok()) << g.status().message();
  auto c = CompiledGrammar::Compile(*g, vocab);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? *c : nullptr;
}

// `m`'s next-token bitmask (FillNextTokenBitmask).
inline std::vector<uint32_t> Mask(GrammarMatcher& m) {
  std::vector<uint32_t> mask(m.grammar().bitmask_words());
  m.FillNextTokenBitmask(mask);
  return mask;
}

// The token ids `mask` allows, ascending.
inline std::vector<int32_t> Allowed(const std::vector<uint32_t>& mask) {
  std::vector<int32_t> ids;
  for (size_t w = 0; w < mask.size(); ++w) {
    for (int b = 0; b < 32; ++b) {
      if ((mask[w] >> b) & 1) ids.push_back(static_cast<int32_t>(w * 32 + b));
    }
  }
  return ids;
}

}  // namespace sgl::constrain::testing
