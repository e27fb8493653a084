#include "model/shard_layout.h"

#include <gtest/gtest.h>

namespace sgl {
namespace {

ModelConfig Config(int heads, int kv_heads, int64_t intermediate, int64_t vocab) {
  ModelConfig c;
  c.num_heads = heads;
  c.num_kv_heads = kv_heads;
  c.head_dim = 64;
  c.hidden_size = 64 * heads;
  c.intermediate_size = intermediate;
  c.vocab_size = vocab;
  return c;
}

TEST(ShardLayoutTest, SplitsHeadsMlpAndVocabularyEvenly) {
  const ModelConfig c = Config(32, 8, 14336, 128256);
  for (int rank = 0; rank < 4; ++rank) {
    auto s = ShardLayout::Create(c, rank, 4);
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_EQ(s->num_q_heads, 8);
    EXPECT_EQ(s->q_head_begin, 8 * rank);
    EXPECT_EQ(s->num_kv_heads, 2);
    EXPECT_EQ(s->kv_head_begin, 2 * rank);
    EXPECT_EQ(s->intermediate_size, 3584);
    EXPECT_EQ(s->intermediate_begin, 3584 * rank);
    EXPECT_EQ(s->vocab_size, 32064);
    EXPECT_EQ(s->vocab_begin, 32064 * rank);
  }
}

// Fewer KV heads than ranks: each rank holds the one KV head its q heads attend with.
TEST(ShardLayoutTest, ReplicatesKvHeadsWhenThereAreFewerThanRanks) {
  const ModelConfig c = Config(8, 2, 64, 64);
  for (int rank = 0; rank < 8; ++rank) {
    auto s = ShardLayout::Create(c, rank, 8);
    ASSERT_TRUE(s.ok()) << s.status().message();
    EXPECT_EQ(s->num_q_heads, 1);
    EXPECT_EQ(s->num_kv_heads, 1);
    const int group_size = c.num_heads / c.num_kv_heads;
    EXPECT_EQ(s->kv_head_begin, s->q_head_begin / group_size) << "rank " << rank;
  }
}

TEST(ShardLayoutTest, WholeIsRankZeroOfOne) {
  const ModelConfig c = Config(9, 3, 1536, 49152);
  const ShardLayout whole = ShardLayout::Whole(c);
  auto created = ShardLayout::Create(c, 0, 1);
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(whole.num_q_heads, 9);
  EXPECT_EQ(created->num_q_heads, 9);
  EXPECT_EQ(whole.num_kv_heads, created->num_kv_heads);
  EXPECT_EQ(whole.vocab_size, created->vocab_size);
  EXPECT_EQ(whole.intermediate_size, created->intermediate_size);
}

TEST(ShardLayoutTest, RefusesSplitsThatDoNotDivideNamingTheDimension) {
  auto expect_error = [](const ModelConfig& c, int size, const std::string& word) {
    Status s = ShardLayout::Check(c, size);
    ASSERT_FALSE(s.ok()) << "tp " << size;
    EXPECT_NE(s.message().find(word), std::string::npos) << s.message();
    EXPECT_FALSE(ShardLayout::Create(c, 0, size).ok());
  };
  expect_error(Config(9, 3, 1536, 49152), 2, "attention heads");
  expect_error(Config(12, 3, 1536, 49152), 2, "KV heads");
  expect_error(Config(8, 8, 100, 64), 8, "intermediate");
  expect_error(Config(8, 8, 64, 50001), 8, "vocabulary");
  expect_error(Config(8, 8, 64, 64), 0, "tp size");
  EXPECT_FALSE(ShardLayout::Create(Config(8, 8, 64, 64), 2, 2).ok());  // rank outside [0, size)
  EXPECT_TRUE(ShardLayout::Check(Config(9, 3, 1536, 49152), 3).ok());
}

}  // namespace
}  // namespace sgl
