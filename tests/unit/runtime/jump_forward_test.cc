// JumpForward on SmolLM2's real tokenizer: the sampled token plus the grammar's forced
// text become the tokenizer's own split of that text (last token held back), the
// matcher ends after them, and where nothing is gained nothing changes.
#include "runtime/jump_forward.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>

#include "constrain/compiled_grammar.h"
#include "constrain/grammar_compiler.h"
#include "constrain/token_vocabulary.h"

namespace sgl {
namespace {

using constrain::GrammarKind;
using constrain::GrammarMatcher;

const std::string kSchema = R"({"type":"object","properties":{
    "kind":{"const":"order"},
    "status":{"enum":["pending_payment","pending_review"]}},
  "required":["kind","status"],"additionalProperties":false})";

class JumpForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tok = Tokenizer::FromTokenizerJson(std::string(SGL_TOKENIZER_FIXTURES) + "/smollm2.tokenizer.json");
    ASSERT_TRUE(tok.ok()) << tok.status().message();
    tokenizer_ = std::move(tok).value();
    vocab_ = constrain::TokenVocabulary::FromTokenizer(*tokenizer_, tokenizer_->Encode("<|im_end|>", false));
  }

  std::unique_ptr<GrammarMatcher> Matcher(GrammarKind kind, const std::string& text) {
    auto g = constrain::BuildGrammar({kind, text, {}});
    EXPECT_TRUE(g.ok()) << g.status().message();
    if (!g.ok()) return nullptr;
    auto c = constrain::CompiledGrammar::Compile(*g, vocab_);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? std::make_unique<GrammarMatcher>(*c) : nullptr;
  }

  int32_t Token(const std::string& text) {
    const std::vector<int32_t> ids = tokenizer_->Encode(text, false);
    EXPECT_EQ(ids.size(), 1u) << text;
    return ids.empty() ? -1 : ids[0];
  }

  std::string Spell(const std::vector<int32_t>& ids) {
    std::string s;
    for (int32_t id : ids) s += vocab_->token_bytes(id);
    return s;
  }

  std::unique_ptr<Tokenizer> tokenizer_;
  std::shared_ptr<const constrain::TokenVocabulary> vocab_;
};

TEST_F(JumpForwardTest, AppendsForcedTextAsTheTokenizerSplitsIt) {
  auto m = Matcher(GrammarKind::kJsonSchema, kSchema);
  ASSERT_TRUE(m);
  const int32_t brace = Token("{");
  ASSERT_TRUE(m->AcceptToken(brace));
  const std::string whole = R"({"kind":"order","status":"pending_)";
  std::vector<int32_t> out = JumpForward(*tokenizer_).Extend(*m, brace, 100);
  ASSERT_GE(out.size(), 2u);
  const std::string spelled = Spell(out);
  EXPECT_EQ(whole.compare(0, spelled.size(), spelled), 0) << spelled;
  EXPECT_GT(spelled.size(), 1u);
  // The tokenizer's split of the whole forced text, its last token held back.
  std::vector<int32_t> expected = tokenizer_->Encode(whole, false);
  expected.pop_back();
  EXPECT_EQ(out, expected);
  // The matcher stands after exactly those tokens.
  EXPECT_EQ(m->num_steps(), static_cast<int32_t>(out.size()));
  EXPECT_EQ(m->FindJumpForwardString(), whole.substr(spelled.size()));
}

TEST_F(JumpForwardTest, RespectsTheTokenLimit) {
  auto m = Matcher(GrammarKind::kJsonSchema, kSchema);
  ASSERT_TRUE(m);
  const int32_t brace = Token("{");
  ASSERT_TRUE(m->AcceptToken(brace));
  std::vector<int32_t> out = JumpForward(*tokenizer_).Extend(*m, brace, 2);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(m->num_steps(), 2);
  auto m1 = Matcher(GrammarKind::kJsonSchema, kSchema);
  ASSERT_TRUE(m1->AcceptToken(brace));
  EXPECT_EQ(JumpForward(*tokenizer_).Extend(*m1, brace, 1), std::vector<int32_t>{brace});
  EXPECT_EQ(m1->num_steps(), 1);
}

TEST_F(JumpForwardTest, NothingForcedChangesNothing) {
  auto m = Matcher(GrammarKind::kRegex, "[a-z]+ [0-9]+");
  ASSERT_TRUE(m);
  const int32_t word = Token("hello");
  ASSERT_TRUE(m->AcceptToken(word));
  EXPECT_EQ(JumpForward(*tokenizer_).Extend(*m, word, 100), std::vector<int32_t>{word});
  EXPECT_EQ(m->num_steps(), 1);
  // A stop token ends the grammar: nothing follows.
  auto e = Matcher(GrammarKind::kRegex, "ab");
  ASSERT_TRUE(e->AcceptString("ab"));
  ASSERT_FALSE(vocab_->stop_ids().empty());
  const int32_t stop = vocab_->stop_ids().front();
  ASSERT_TRUE(e->AcceptToken(stop));
  EXPECT_EQ(JumpForward(*tokenizer_).Extend(*e, stop, 100), std::vector<int32_t>{stop});
}

TEST_F(JumpForwardTest, ForcedTextShorterThanOneTokenGainsNothing) {
  // After "id" the grammar forces "-", and "id-" might be one token: either way the
  // result spells "id" plus a prefix of "-x" and the matcher agrees.
  auto m = Matcher(GrammarKind::kRegex, "id-x[0-9]");
  ASSERT_TRUE(m);
  const int32_t id = Token("id");
  ASSERT_TRUE(m->AcceptToken(id));
  std::vector<int32_t> out = JumpForward(*tokenizer_).Extend(*m, id, 100);
  const std::string spelled = Spell(out);
  EXPECT_EQ(std::string("id-x").compare(0, spelled.size(), spelled), 0) << spelled;
  EXPECT_EQ(m->num_steps(), static_cast<int32_t>(out.size()));
  if (out.size() == 1) EXPECT_EQ(out[0], id);
}

// Before any token: the forced start tokenized on its own (it is output, apart from the
// prompt), its last token held back; the matcher stands after the tokens returned.
TEST_F(JumpForwardTest, AtStartGivesTheForcedStartAsItsOwnTokens) {
  auto m = Matcher(GrammarKind::kJsonSchema, kSchema);
  ASSERT_TRUE(m);
  const std::string whole = R"({"kind":"order","status":"pending_)";
  std::vector<int32_t> expected = tokenizer_->Encode(whole, false);
  expected.pop_back();
  ASSERT_GE(expected.size(), 2u);
  const std::vector<int32_t> out = JumpForward(*tokenizer_).AtStart(*m, 100);
  EXPECT_EQ(out, expected);
  EXPECT_EQ(m->num_steps(), static_cast<int32_t>(out.size()));
  EXPECT_EQ(m->FindJumpForwardString(), whole.substr(Spell(out).size()));
  // At most max_tokens; none when there is no room.
  auto limited = Matcher(GrammarKind::kJsonSchema, kSchema);
  EXPECT_EQ(JumpForward(*tokenizer_).AtStart(*limited, 1), std::vector<int32_t>{expected[0]});
  EXPECT_EQ(limited->num_steps(), 1);
  auto none = Matcher(GrammarKind::kJsonSchema, kSchema);
  EXPECT_TRUE(JumpForward(*tokenizer_).AtStart(*none, 0).empty());
  EXPECT_EQ(none->num_steps(), 0);
}

TEST_F(JumpForwardTest, AtStartWithAFreeStartChangesNothing) {
  auto m = Matcher(GrammarKind::kRegex, "[a-z]+ [0-9]+");
  ASSERT_TRUE(m);
  EXPECT_TRUE(JumpForward(*tokenizer_).AtStart(*m, 100).empty());
  EXPECT_EQ(m->num_steps(), 0);
  // One forced byte is at most one token, held back: nothing gained, nothing changed.
  auto one = Matcher(GrammarKind::kRegex, "x[0-9]+");
  EXPECT_TRUE(JumpForward(*tokenizer_).AtStart(*one, 100).empty());
  EXPECT_EQ(one->num_steps(), 0);
}

// The forced start takes at most as many tokens as it has bytes, and each forced byte is
// one of the bytes the budget counted, so a budget that sufficed before the jump still
// does after it: budgeted generations from there end with a stop token in the room left,
// for a room just large enough and a few larger.
TEST_F(JumpForwardTest, AtStartKeepsTheGrammarBudget) {
  const std::vector<std::pair<GrammarKind, std::string>> grammars = {
      {GrammarKind::kJsonSchema, kSchema},
      {GrammarKind::kJsonSchema, R"({"type":"object","properties":{"id":{"const":"node-0042"},
          "kids":{"type":"array","items":{"$ref":"#"}}},"required":["id","kids"]})"},
      {GrammarKind::kRegex, "forced_prefix_[a-z]+(,[a-z]+)*"},
  };
  std::mt19937 rng(13);
  for (const auto& [kind, text] : grammars) {
    auto probe = Matcher(kind, text);
    ASSERT_TRUE(probe);
    const int64_t shortest = probe->MinBytesToEnd();
    for (int64_t room : {shortest + 1, shortest + 2, shortest + 6}) {
      auto m = Matcher(kind, text);
      const std::vector<int32_t> jumped = JumpForward(*tokenizer_).AtStart(*m, room);
      ASSERT_FALSE(jumped.empty()) << text;
      int64_t left = room - static_cast<int64_t>(jumped.size());
      EXPECT_LE(m->MinBytesToEnd() + 1, left) << text << " room " << room;
      std::vector<uint32_t> mask(m->grammar().bitmask_words());
      while (!m->IsTerminated() && left > 0) {
        m->FillBudgetedTokenBitmask(mask, left);
        std::vector<int32_t> content, stops;
        for (int32_t id = 0; id < vocab_->vocab_size(); ++id)
          if ((mask[id >> 5] >> (id & 31)) & 1) (vocab_->is_stop(id) ? stops : content).push_back(id);
        const std::vector<int32_t>& pool = content.empty() ? stops : content;
        ASSERT_FALSE(pool.empty()) << text << " room " << room << " left " << left;
        ASSERT_TRUE(m->AcceptToken(pool[std::uniform_int_distribution<size_t>(0, pool.size() - 1)(rng)]));
        --left;
      }
      EXPECT_TRUE(m->IsTerminated()) << text << ": room " << room << " ran out";
    }
  }
}

}  // namespace
}  // namespace sgl
