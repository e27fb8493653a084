// RadixCache against a naive reference: a map from every cached page-aligned prefix (as a
// full token sequence) to the KV slots of its last page. Long random sequences of match, insert,
// lock, unlock and evict over a small alphabet (so prefixes are shared a lot), with page
// sizes 1 and 4; after every operation the invariants hold and every slot is accounted for.
#include "runtime/radix_cache.h"

#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

namespace sgl {
namespace {

using Tokens = std::vector<int32_t>;

TEST(RadixCacheTest, MatchesInsertedPrefixesAndSplitsEdges) {
  RadixCache cache(1);
  EXPECT_EQ(cache.Insert(Tokens{1, 2, 3, 4}, Tokens{10, 11, 12, 13}), 0);
  EXPECT_EQ(cache.Insert(Tokens{1, 2, 5}, Tokens{20, 21, 22}), 2);  // [1, 2] already cached
  auto m = cache.MatchPrefix(Tokens{1, 2, 3, 9});
  EXPECT_EQ(m.slots, (Tokens{10, 11, 12}));
  EXPECT_EQ(cache.MatchPrefix(Tokens{1, 2, 5, 6}).slots, (Tokens{10, 11, 22}));
  EXPECT_TRUE(cache.MatchPrefix(Tokens{7}).slots.empty());
  EXPECT_EQ(cache.total_tokens(), 5);
  ASSERT_TRUE(cache.CheckInvariants().ok());
}

TEST(RadixCacheTest, LockedPathsSurviveEvictionAndLruGoesFirst) {
  RadixCache cache(1);
  cache.Insert(Tokens{1, 2}, Tokens{10, 11});
  cache.Insert(Tokens{3, 4}, Tokens{30, 31});
  cache.Insert(Tokens{5, 6}, Tokens{50, 51});
  cache.MatchPrefix(Tokens{1, 2});  // now the most recently used
  auto locked = cache.MatchPrefix(Tokens{3, 4});
  cache.Lock(locked.last_node);
  std::vector<int32_t> freed;
  auto collect = [&](std::span<const int32_t> s) { freed.insert(freed.end(), s.begin(), s.end()); };
  EXPECT_EQ(cache.Evict(1, collect), 2);
  EXPECT_EQ(freed, (Tokens{50, 51}));  // least recently used and unlocked
  EXPECT_EQ(cache.Evict(100, collect), 2);
  EXPECT_EQ(cache.locked_tokens(), 2);
  EXPECT_EQ(cache.MatchPrefix(Tokens{3, 4}).slots, (Tokens{30, 31}));
  cache.Unlock(locked.last_node);
  EXPECT_EQ(cache.Evict(100, collect), 2);
  EXPECT_EQ(cache.total_tokens(), 0);
  ASSERT_TRUE(cache.CheckInvariants().ok());
}

TEST(RadixCacheTest, PagesAreMatchedWhole) {
  RadixCache cache(4);
  EXPECT_EQ(cache.Insert(Tokens{1, 2, 3, 4, 5, 6, 7, 8, 9}, Tokens{0, 1, 2, 3, 4, 5, 6, 7, 8}), 0);
  EXPECT_EQ(cache.total_tokens(), 8);  // the partial last page is not cached
  EXPECT_EQ(cache.MatchPrefix(Tokens{1, 2, 3, 4, 5, 6, 7, 0}).slots, (Tokens{0, 1, 2, 3}));
  EXPECT_EQ(cache.MatchPrefix(Tokens{1, 2, 3}).slots.size(), 0u);
  ASSERT_TRUE(cache.CheckInvariants().ok());
}

struct Reference {
  int page = 1;
  std::map<Tokens, Tokens> slots_of_prefix;  // cached page-aligned prefix -> its last page's slots

  // Longest cached page-aligned prefix and its slots.
  Tokens Match(const Tokens& tokens) const {
    Tokens slots;
    for (size_t end = page; end <= tokens.size(); end += page) {
      auto it = slots_of_prefix.find(Tokens(tokens.begin(), tokens.begin() + end));
      if (it == slots_of_prefix.end()) break;
      slots.insert(slots.end(), it->second.begin(), it->second.end());
    }
    return slots;
  }
};

class RadixCachePropertyTest : public ::testing::TestWithParam<int> {};

TEST_P(RadixCachePropertyTest, AgreesWithNaiveReference) {
  const int page = GetParam();
  RadixCache cache(page);
  Reference ref{page, {}};
  std::mt19937 rng(1234 + page);
  int32_t next_slot = 0;
  std::set<int32_t> cached_slots, freed_slots;
  std::map<int32_t, Tokens> prefix_of_slot;  // slot -> the cached prefix whose last page holds it
  std::vector<std::pair<RadixCache::Node*, Tokens>> locks;  // locked node and its matched slots

  auto free_slots = [&](std::span<const int32_t> slots) {
    for (int32_t s : slots) {
      ASSERT_EQ(cached_slots.erase(s), 1u) << "evicted a slot the cache did not hold: " << s;
      freed_slots.insert(s);
      ref.slots_of_prefix.erase(prefix_of_slot.at(s));  // once per page
    }
  };
  auto random_tokens = [&]() {
    Tokens t(1 + rng() % 24);
    for (auto& x : t) x = static_cast<int32_t>(rng() % 3);  // tiny alphabet: much sharing
    return t;
  };

  for (int step = 0; step < 20000; ++step) {
    const int op = static_cast<int>(rng() % 10);
    if (op < 4) {  // insert fresh slots; duplicates come back to us
      const Tokens tokens = random_tokens();
      Tokens slots(tokens.size());
      for (auto& s : slots) s = next_slot++;
      const int64_t existing = cache.Insert(tokens, slots);
      const size_t kept = tokens.size() / page * page;
      ASSERT_EQ(existing, static_cast<int64_t>(ref.Match(Tokens(tokens.begin(), tokens.begin() + kept)).size()));
      for (size_t end = existing + page; end <= kept; end += page) {
        const Tokens prefix(tokens.begin(), tokens.begin() + end);
        ref.slots_of_prefix[prefix] = Tokens(slots.begin() + end - page, slots.begin() + end);
        for (size_t i = end - page; i < end; ++i) {
          prefix_of_slot[slots[i]] = prefix;
          cached_slots.insert(slots[i]);
        }
      }
    } else if (op < 7) {  // match, maybe lock
      const Tokens tokens = random_tokens();
      auto m = cache.MatchPrefix(tokens);
      ASSERT_EQ(m.slots, ref.Match(tokens));
      if (op == 6) {
        cache.Lock(m.last_node);
        locks.push_back({m.last_node, m.slots});
      }
    } else if (op < 8 && !locks.empty()) {  // unlock one
      const size_t i = rng() % locks.size();
      cache.Unlock(locks[i].first);
      locks.erase(locks.begin() + static_cast<long>(i));
    } else {  // evict
      const int64_t before = cache.total_tokens();
      const int64_t want = 1 + rng() % 40;
      const int64_t evicted = cache.Evict(want, free_slots);
      ASSERT_EQ(before - evicted, cache.total_tokens());
      ASSERT_TRUE(evicted >= want || cache.evictable_tokens() == 0);
      for (const auto& [node, slots] : locks)
        for (int32_t s : slots) ASSERT_TRUE(cached_slots.count(s)) << "a locked slot was evicted";
    }
    ASSERT_TRUE(cache.CheckInvariants().ok()) << cache.CheckInvariants().message();
    ASSERT_EQ(cache.total_tokens(), static_cast<int64_t>(cached_slots.size()));
  }
  for (const auto& [node, slots] : locks) cache.Unlock(node);
  cache.Reset(free_slots);
  EXPECT_TRUE(cached_slots.empty());
  EXPECT_TRUE(ref.slots_of_prefix.empty());
}

INSTANTIATE_TEST_SUITE_P(PageSizes, RadixCachePropertyTest, ::testing::Values(1, 4));

}  // namespace
}  // namespace sgl
