// KV capacity from mem_fraction_static: the share of available memory the weights leave,
// in whole tokens, capped at what the longest requests can use; errors when nothing is
// left; MemAvailable read from a meminfo file.
#include "runtime/kv_capacity.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "sgl/engine.h"
#include "testing/temp_dir.h"
#include "testing/test_paths.h"

namespace sgl {
namespace {

TEST(KvCapacityTest, WhatTheWeightsLeaveInWholeTokens) {
  KvBudget b;
  b.available_bytes = 1000 << 20;
  b.mem_fraction_static = 0.5;
  b.weights_bytes = 100 << 20;
  b.bytes_per_token = 1 << 20;
  b.max_useful_tokens = 0;
  EXPECT_EQ(*KvCapacityTokens(b), 400);
  b.max_useful_tokens = 256;
  EXPECT_EQ(*KvCapacityTokens(b), 256);
  b.mem_fraction_static = 0.88;
  b.max_useful_tokens = 0;
  EXPECT_EQ(*KvCapacityTokens(b), 780);  // 0.88 * 1000 - 100
}

TEST(KvCapacityTest, NoRoomIsAnError) {
  KvBudget b;
  b.available_bytes = 100 << 20;
  b.weights_bytes = 200 << 20;
  b.bytes_per_token = 1024;
  auto r = KvCapacityTokens(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("mem_fraction_static"), std::string::npos);
  b.weights_bytes = 0;
  b.mem_fraction_static = 1.5;
  EXPECT_FALSE(KvCapacityTokens(b).ok());
}

TEST(KvCapacityTest, ReadsMemAvailable) {
  test::TempDir dir;
  const std::string path = dir.path() + "/meminfo";
  std::ofstream(path) << "MemTotal:       16000000 kB\nMemFree:         1000 kB\nMemAvailable:    2048 kB\n";
  EXPECT_EQ(*MemAvailableBytes(path), 2048 * 1024);
  std::ofstream(path) << "MemTotal: 5 kB\n";
  EXPECT_FALSE(MemAvailableBytes(path).ok());
  EXPECT_FALSE(MemAvailableBytes(dir.path() + "/missing").ok());
  EXPECT_TRUE(MemAvailableBytes().ok());  // this machine's /proc/meminfo
}

EngineOptions FixtureOptions() {
  EngineOptions o;
  o.model_path = testing::SourcePath("tests/fixtures/models/qwen3/model.gguf");
  o.num_threads = 1;
  return o;
}

TEST(KvCapacityTest, EngineSizesItsCacheFromMemoryWhenNotTold) {
  EngineOptions o = FixtureOptions();
  o.max_running_requests = 3;
  auto engine = Engine::Create(o);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  // The fixture is tiny: memory is plenty, so the cap (context x running requests) rules.
  EXPECT_EQ((*engine)->Info().kv_capacity_tokens, 256 * 3);
  o.mem_fraction_static = 1e-9;
  EXPECT_FALSE(Engine::Create(o).ok());
}

TEST(KvCapacityTest, ContextLengthLimitsRequests) {
  EngineOptions o = FixtureOptions();
  o.context_length = 64;
  o.max_total_tokens = 1024;
  auto engine = Engine::Create(o);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  EXPECT_EQ((*engine)->Info().context_length, 64);
  SamplingParams p;
  p.max_new_tokens = 60;
  auto r = (*engine)->Generate({1, 2, 3, 4, 5}, p, {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("65"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("64"), std::string::npos) << r.status().message();
  p.max_new_tokens = 59;
  EXPECT_TRUE((*engine)->Generate({1, 2, 3, 4, 5}, p, {}).ok());
  o.context_length = 100000;  // beyond the model's 256
  EXPECT_FALSE(Engine::Create(o).ok());
}

}  // namespace
}  // namespace sgl
