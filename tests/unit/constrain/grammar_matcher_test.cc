#include "constrain/grammar_matcher.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "constrain/grammar_compiler.h"
#include "constrain_testing.h"

namespace sgl::constrain {
namespace {

using testing::Allowed;
using testing::CompileOrDie;
using testing::Mask;


// Token by token: what AcceptToken allows, undone at once.
std::vector<uint32_t> BruteForceMask(GrammarMatcher& m) {
  std::vector<uint32_t> mask(m.grammar().bitmask_words(), 0);
  for (int32_t id = 0; id < m.grammar().vocab().vocab_size(); ++id) {
    if (m.AcceptToken(id)) {
      mask[id >> 5] |= 1u << (id & 31);
      EXPECT_TRUE(m.Rollback(1).ok());
    }
  }
  return mask;
}

// Generates by picking uniformly among allowed tokens (EOS with probability `p_end` when
// allowed); returns the text, or nullopt if `max_tokens` ran out.
std::optional<std::string> RandomGeneration(GrammarMatcher& m, std::mt19937& rng, int max_tokens, double p_end = 0.15) {
  std::string text;
  const TokenVocabulary& v = m.grammar().vocab();
  for (int step = 0; step < max_tokens; ++step) {
    std::vector<int32_t> ids = Allowed(Mask(m));
    EXPECT_FALSE(ids.empty()) << "dead end after '" << text << "'";
    if (ids.empty()) return std::nullopt;
    std::vector<int32_t> non_stop;
    for (int32_t id : ids) {
      if (!v.is_stop(id)) non_stop.push_back(id);
    }
    bool stop = non_stop.empty() || (m.CanEnd() && std::uniform_real_distribution<>(0, 1)(rng) < p_end);
    int32_t id = stop ? v.stop_ids()[0] : non_stop[std::uniform_int_distribution<size_t>(0, non_stop.size() - 1)(rng)];
    EXPECT_TRUE(m.AcceptToken(id));
    if (stop) {
      EXPECT_TRUE(m.IsTerminated());
      return text;
    }
    text += v.token_bytes(id);
  }
  return std::nullopt;
}

struct Case {
  GrammarKind kind;
  const char* text;
};

const Case kCases[] = {
    {GrammarKind::kRegex, R"(\d{3}-\d{3}-\d{4})"},
    {GrammarKind::kRegex, R"((Mon|Tue|Wed)day, [A-Z][a-z]{1,12} \d{1,2}(st|nd|rd|th)?)"},
    {GrammarKind::kRegex, R"([α-ω]+ 中文 [^"]{0,5})"},
    {GrammarKind::kEbnf, "root ::= expr\nexpr ::= term ((\"+\" | \"-\") term)*\nterm ::= num | \"(\" expr \")\"\nnum ::= [0-9]+"},
    {GrammarKind::kJsonSchema,
     R"({"type":"object","properties":{"name":{"type":"string","maxLength":12},"age":{"type":"integer","minimum":0,"maximum":130},
        "tags":{"type":"array","items":{"type":"string"},"maxItems":3},"kind":{"enum":["a","b",null]}},"required":["name","age"]})"},
    {GrammarKind::kJsonSchema,
     R"({"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},"next":{"anyOf":[{"$ref":"#/$defs/node"},{"type":"null"}]}},"required":["v","next"]}},"$ref":"#/$defs/node"})"},
    {GrammarKind::kJsonObject, ""},
};

TEST(GrammarMatcherTest, MaskEqualsTokenByTokenCheck) {
  std::mt19937 rng(7);
  for (const Case& c : kCases) {
    auto g = CompileOrDie(c.kind, c.text);
    ASSERT_TRUE(g);
    GrammarMatcher m(g);
    for (int step = 0; step < 12 && !m.IsTerminated(); ++step) {
      std::vector<uint32_t> fast = Mask(m), slow = BruteForceMask(m);
      ASSERT_EQ(Allowed(fast), Allowed(slow)) << c.text << " at step " << step;
      std::vector<int32_t> ids = Allowed(fast);
      ASSERT_FALSE(ids.empty());
      int32_t id = ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)];
      ASSERT_TRUE(m.AcceptToken(id));
    }
  }
}

TEST(GrammarMatcherTest, RandomGenerationsMatchTheGrammar) {
  std::mt19937 rng(11);
  for (const Case& c : kCases) {
    if (c.kind != GrammarKind::kRegex && c.kind != GrammarKind::kEbnf) continue;
    auto g = CompileOrDie(c.kind, c.text);
    ASSERT_TRUE(g);
    GrammarSpec spec{c.kind, c.text, {}};
    auto automaton = GrammarAutomaton::Build(*BuildGrammar(spec));
    ASSERT_TRUE(automaton.ok());
    int done = 0;
    for (int i = 0; i < 40; ++i) {
      GrammarMatcher m(g);
      auto text = RandomGeneration(m, rng, 200);
      if (!text) continue;
      ++done;
      EXPECT_TRUE(testing::Accepts(*automaton, *text)) << c.text << " produced '" << *text << "'";
    }
    EXPECT_GT(done, 30) << c.text;
  }
}

TEST(GrammarMatcherTest, EosOnlyWhenTheGrammarAccepts) {
  auto g = CompileOrDie(GrammarKind::kRegex, "ab");
  GrammarMatcher m(g);
  int32_t eos = g->vocab().stop_ids()[0];
  EXPECT_FALSE(m.CanEnd());
  EXPECT_FALSE(m.AcceptToken(eos));
  EXPECT_FALSE((Mask(m)[eos >> 5] >> (eos & 31)) & 1);
  ASSERT_TRUE(m.AcceptString("ab"));
  EXPECT_TRUE(m.CanEnd());
  EXPECT_EQ(Allowed(Mask(m)), std::vector<int32_t>{eos});
  EXPECT_TRUE(m.AcceptToken(eos));
  EXPECT_TRUE(m.IsTerminated());
  EXPECT_FALSE(m.AcceptToken(eos));
  EXPECT_TRUE(Allowed(Mask(m)).empty());
}

TEST(GrammarMatcherTest, RefusedTokensLeaveTheStateAlone) {
  auto g = CompileOrDie(GrammarKind::kRegex, "[0-9]+");
  GrammarMatcher m(g);
  auto before = Mask(m);
  const TokenVocabulary& v = g->vocab();
  for (int32_t id : {-1, 1 << 30, 0}) EXPECT_FALSE(m.AcceptToken(id));
  for (int32_t id = 0; id < v.vocab_size(); ++id) {
    if (v.is_ordinary(id) && v.token_bytes(id) == "abc") EXPECT_FALSE(m.AcceptToken(id));
  }
  EXPECT_FALSE(m.AcceptString("12a"));
  EXPECT_EQ(m.num_steps(), 0);
  EXPECT_EQ(Mask(m), before);
}

TEST(GrammarMatcherTest, RollbackRestoresEarlierStates) {
  auto g = CompileOrDie(GrammarKind::kJsonSchema, kCases[4].text);
  GrammarMatcher m(g);
  std::mt19937 rng(3);
  std::vector<std::vector<uint32_t>> masks;
  for (int i = 0; i < 8; ++i) {
    masks.push_back(Mask(m));
    auto ids = Allowed(masks.back());
    ASSERT_TRUE(m.AcceptToken(ids[std::uniform_int_distribution<size_t>(0, ids.size() - 1)(rng)]));
  }
  EXPECT_FALSE(m.Rollback(9).ok());
  ASSERT_TRUE(m.Rollback(3).ok());
  EXPECT_EQ(Mask(m), masks[5]);
  ASSERT_TRUE(m.Rollback(5).ok());
  EXPECT_EQ(Mask(m), masks[0]);
  EXPECT_EQ(m.num_steps(), 0);
}

TEST(GrammarMatcherTest, JumpForwardFindsForcedText) {
  auto g = CompileOrDie(GrammarKind::kJsonSchema,
                        R"({"type":"object","properties":{"name":{"type":"string"},"id":{"type":"integer"}},"required":["name","id"]})");
  GrammarMatcher m(g);
  EXPECT_EQ(m.FindJumpForwardString(), "{\"name\":\"");
  EXPECT_EQ(m.num_steps(), 0);
  ASSERT_TRUE(m.AcceptString("{\"name\":\"x\""));
  EXPECT_EQ(m.FindJumpForwardString(), ",\"id\":");
  auto r = CompileOrDie(GrammarKind::kRegex, "abc|abd");
  GrammarMatcher m2(r);
  EXPECT_EQ(m2.FindJumpForwardString(), "ab");
}

// The forced text after `prefix` is accepted; what it returns must also be the longest
// text every continuation shares: the next byte after it is a free choice or an end.
std::string ForcedAfter(GrammarKind kind, const std::string& grammar, const std::string& prefix) {
  GrammarMatcher m(CompileOrDie(kind, grammar));
  if (!prefix.empty()) EXPECT_TRUE(m.AcceptString(prefix)) << prefix;
  const std::vector<uint32_t> before = Mask(m);
  std::string forced = m.FindJumpForwardString();
  EXPECT_EQ(Mask(m), before) << "the query moved the matcher";
  return forced;
}

TEST(GrammarMatcherTest, JumpForwardRegexStopsAtChoicesAndEnds) {
  EXPECT_EQ(ForcedAfter(GrammarKind::kRegex, R"(id-\d{3}-x)", ""), "id-");
  EXPECT_EQ(ForcedAfter(GrammarKind::kRegex, R"(id-\d{3}-x)", "id-12"), "");
  EXPECT_EQ(ForcedAfter(GrammarKind::kRegex, R"(id-\d{3}-x)", "id-123"), "-x");
  EXPECT_EQ(ForcedAfter(GrammarKind::kRegex, "[a-z]+", ""), "");  // nothing forced
  EXPECT_EQ(ForcedAfter(GrammarKind::kRegex, "ab(cd)?", "ab"), "");  // may end here
  EXPECT_EQ(ForcedAfter(GrammarKind::kRegex, "(caf\u00e9|caf\u00e8)!", ""), "caf\xc3");  // a shared UTF-8 lead byte
}

TEST(GrammarMatcherTest, JumpForwardJsonSchemaConstAndEnum) {
  const std::string schema = R"({"type":"object","properties":{
      "kind":{"const":"order"},
      "status":{"enum":["pending_payment","pending_review"]}},
    "required":["kind","status"],"additionalProperties":false})";
  EXPECT_EQ(ForcedAfter(GrammarKind::kJsonSchema, schema, ""), R"({"kind":"order","status":"pending_)");
  EXPECT_EQ(ForcedAfter(GrammarKind::kJsonSchema, schema, R"({"kind":"order","status":"pending_p)"), R"(ayment"})");
  EXPECT_EQ(ForcedAfter(GrammarKind::kJsonSchema, R"({"type":"integer"})", ""), "");
}

TEST(GrammarMatcherTest, JumpForwardEbnfAndByteLimit) {
  const std::string ebnf = "root ::= \"The answer is \" number \".\"\nnumber ::= [1-9] [0-9]*";
  EXPECT_EQ(ForcedAfter(GrammarKind::kEbnf, ebnf, ""), "The answer is ");
  EXPECT_EQ(ForcedAfter(GrammarKind::kEbnf, ebnf, "The answer is 4"), "");  // a digit or the dot
  EXPECT_EQ(ForcedAfter(GrammarKind::kEbnf, ebnf, "The answer is 4."), "");  // ended
  GrammarMatcher m(CompileOrDie(GrammarKind::kEbnf, ebnf));
  EXPECT_EQ(m.FindJumpForwardString(4), "The ");
}

TEST(GrammarMatcherTest, ApplyBitmaskMasksLogits) {
  std::vector<float> logits(70, 1.0f);
  std::vector<uint32_t> mask{0x5u, 0u};  // tokens 0 and 2; 64.. past the mask
  ApplyTokenBitmask(logits, mask);
  EXPECT_EQ(logits[0], 1.0f);
  EXPECT_EQ(logits[2], 1.0f);
  EXPECT_TRUE(std::isinf(logits[1]));
  EXPECT_TRUE(std::isinf(logits[69]));
}

}  // namespace
}  // namespace sgl::constrain
