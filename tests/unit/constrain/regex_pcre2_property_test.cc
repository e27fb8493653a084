// Property tests: on random patterns, the automaton and PCRE2 agree on random strings, and
// every string a random walk through the automaton produces is a full PCRE2 match.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "constrain/regex_parser.h"
#include "constrain_testing.h"

namespace sgl::constrain {
namespace {

class Pcre2 {
 public:
  explicit Pcre2(const std::string& pattern) {
    int err = 0;
    PCRE2_SIZE offset = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                          PCRE2_UTF | PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_DOLLAR_ENDONLY, &err, &offset, nullptr);
    if (code_) data_ = pcre2_match_data_create_from_pattern(code_, nullptr);
  }
  ~Pcre2() {
    pcre2_match_data_free(data_);
    pcre2_code_free(code_);
  }
  bool ok() const { return code_ != nullptr; }
  bool FullMatch(const std::string& s) const {
    return pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0, 0, data_, nullptr) >= 0;
  }

 private:
  pcre2_code* code_ = nullptr;
  pcre2_match_data* data_ = nullptr;
};

const std::vector<std::string> kChars = {"a", "b", "c", "0", "7", "_", " ", "\n", "-", "é", "α", "ω", "中", "😀"};

std::string RandomAtom(std::mt19937& rng, int depth);

std::string RandomRegex(std::mt19937& rng, int depth) {
  std::uniform_int_distribution<> n_parts(1, 3);
  std::string out;
  int alts = std::uniform_int_distribution<>(0, 3)(rng) == 0 ? 2 : 1;
  for (int a = 0; a < alts; ++a) {
    if (a) out += "|";
    for (int i = n_parts(rng); i > 0; --i) {
      out += RandomAtom(rng, depth);
      switch (std::uniform_int_distribution<>(0, 9)(rng)) {
        case 0: out += "*"; break;
        case 1: out += "+"; break;
        case 2: out += "?"; break;
        case 3: out += "{1,2}"; break;
        case 4: out += "{2}"; break;
        case 5: out += "*?"; break;
        default: break;
      }
    }
  }
  return out;
}

std::string RandomAtom(std::mt19937& rng, int depth) {
  static const std::vector<std::string> kAtoms = {"a", "b", "c", "0", "é", "α", "中", "😀", ".", "\\d", "\\w", "\\s",
                                                  "\\D", "\\W", "\\S", "[a-c]", "[^a]", "[^ab0]", "[α-ω]", "[a\\d_]",
                                                  "[^\\w]", "\\-", "[一-龥😀]", "[^é]", "\\n", "\\x61", "\\x{3b1}"};
  int pick = std::uniform_int_distribution<>(0, static_cast<int>(kAtoms.size()) + 1)(rng);
  if (pick >= static_cast<int>(kAtoms.size()) && depth < 3) {
    return (pick % 2 ? "(" : "(?:") + RandomRegex(rng, depth + 1) + ")";
  }
  return kAtoms[pick % kAtoms.size()];
}

std::string RandomString(std::mt19937& rng) {
  std::string s;
  for (int n = std::uniform_int_distribution<>(0, 6)(rng); n > 0; --n) {
    s += kChars[std::uniform_int_distribution<size_t>(0, kChars.size() - 1)(rng)];
  }
  return s;
}

TEST(RegexPcre2PropertyTest, AgreesWithPcre2) {
  std::mt19937 rng(1234);
  int checked_strings = 0, walks = 0;
  for (int iter = 0; iter < 400; ++iter) {
    std::string pattern = RandomRegex(rng, 0);
    Pcre2 pcre(pattern);
    ASSERT_TRUE(pcre.ok()) << pattern;
    auto re = ParseRegex(pattern);
    ASSERT_TRUE(re.ok()) << pattern << ": " << re.status().message();
    Grammar g;
    g.root_rule = g.AddRule("root", re->expr);
    auto a = GrammarAutomaton::Build(g);
    ASSERT_TRUE(a.ok()) << pattern << ": " << a.status().message();
    for (int k = 0; k < 60; ++k) {
      std::string s = RandomString(rng);
      ASSERT_EQ(testing::Accepts(*a, s), pcre.FullMatch(s)) << "pattern " << pattern << " on '" << s << "'";
      ++checked_strings;
    }
    for (int k = 0; k < 20; ++k) {
      auto s = testing::RandomWalk(*a, rng, 24);
      if (!s) continue;
      ASSERT_TRUE(pcre.FullMatch(*s)) << "pattern " << pattern << " walk '" << *s << "'";
      ++walks;
    }
  }
  EXPECT_GT(walks, 4000);
  EXPECT_EQ(checked_strings, 400 * 60);
}

}  // namespace
}  // namespace sgl::constrain
