// The shared-memory communicator with ranks as threads: sums and gathers against values
// computed here, bit-identical results on every rank, many back-to-back calls, size
// mismatches and aborts that end in errors rather than hangs.
#include "parallel/shared_memory_communicator.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace sgl {
namespace {

// Runs body(rank, comm) on one thread per rank and returns each rank's status.
std::vector<Status> RunRanks(int size, const std::function<Status(int, Communicator&)>& body) {
  auto group = SharedMemoryCommunicator::CreateGroup(size);
  std::vector<std::future<Status>> done;
  for (int r = 0; r < size; ++r)
    done.push_back(std::async(std::launch::async, [&, r] { return body(r, *group[r]); }));
  std::vector<Status> statuses;
  for (auto& d : done) statuses.push_back(d.get());
  return statuses;
}

Tensor F32(std::vector<float>& v, int64_t rows, int64_t cols) { return Tensor{v.data(), DType::kF32, rows, cols}; }

// A value that differs by rank, row and column, with fractions so order of addition matters.
float Value(int rank, int64_t i, int call) { return 0.1f * (rank + 1) + 1e-3f * static_cast<float>(i) - 0.37f * call; }

class SharedMemoryCommunicatorTest : public ::testing::TestWithParam<int> {};

TEST_P(SharedMemoryCommunicatorTest, AllReduceSumsInRankOrderOnEveryRank) {
  const int size = GetParam();
  const int64_t rows = 3, cols = 37;  // not a multiple of the rank count
  std::vector<std::vector<float>> results(size);
  auto statuses = RunRanks(size, [&](int rank, Communicator& comm) {
    EXPECT_EQ(comm.rank(), rank);
    EXPECT_EQ(comm.size(), size);
    std::vector<float>& x = results[rank];
    x.resize(rows * cols);
    for (int64_t i = 0; i < rows * cols; ++i) x[i] = Value(rank, i, 0);
    return comm.AllReduceSum(F32(x, rows, cols));
  });
  for (const Status& s : statuses) ASSERT_TRUE(s.ok()) << s.message();
  for (int64_t i = 0; i < rows * cols; ++i) {
    float want = 0;
    for (int r = 0; r < size; ++r) want += Value(r, i, 0);
    for (int r = 0; r < size; ++r) ASSERT_EQ(results[r][i], want) << "rank " << r << " element " << i;
  }
}

TEST_P(SharedMemoryCommunicatorTest, AllGatherPutsEachRanksColumnsInRankOrder) {
  const int size = GetParam();
  const int64_t rows = 4, cols = 5;
  std::vector<std::vector<float>> outs(size);
  auto statuses = RunRanks(size, [&](int rank, Communicator& comm) {
    std::vector<float> x(rows * cols);
    for (int64_t i = 0; i < rows * cols; ++i) x[i] = Value(rank, i, 0);
    outs[rank].assign(rows * cols * size, -1.0f);
    return comm.AllGatherLastDim(F32(x, rows, cols), F32(outs[rank], rows, cols * size));
  });
  for (const Status& s : statuses) ASSERT_TRUE(s.ok()) << s.message();
  for (int r = 0; r < size; ++r)
    for (int64_t row = 0; row < rows; ++row)
      for (int src = 0; src < size; ++src)
        for (int64_t c = 0; c < cols; ++c)
          ASSERT_EQ(outs[r][row * cols * size + src * cols + c], Value(src, row * cols + c, 0));
}

TEST_P(SharedMemoryCommunicatorTest, BroadcastCopiesTheRootsBytes) {
  const int size = GetParam();
  const int root = size - 1;
  std::vector<std::vector<uint8_t>> bufs(size);
  auto statuses = RunRanks(size, [&](int rank, Communicator& comm) {
    bufs[rank].assign(100, static_cast<uint8_t>(rank));
    return comm.Broadcast(bufs[rank], root);
  });
  for (const Status& s : statuses) ASSERT_TRUE(s.ok()) << s.message();
  for (int r = 0; r < size; ++r) EXPECT_EQ(bufs[r], std::vector<uint8_t>(100, static_cast<uint8_t>(root)));
}

// Thousands of collectives of changing sizes back to back: no rank may read a buffer of
// the wrong round (the fastest rank is always a call ahead of the slowest).
TEST_P(SharedMemoryCommunicatorTest, ManyCallsInARowStayInStep) {
  const int size = GetParam();
  std::atomic<int> wrong{0};
  auto statuses = RunRanks(size, [&](int rank, Communicator& comm) {
    for (int call = 0; call < 2000; ++call) {
      const int64_t n = 1 + (call * 7) % 29;
      std::vector<float> x(n);
      for (int64_t i = 0; i < n; ++i) x[i] = Value(rank, i, call);
      SGL_RETURN_IF_ERROR(comm.AllReduceSum(F32(x, 1, n)));
      for (int64_t i = 0; i < n; ++i) {
        float want = 0;
        for (int r = 0; r < size; ++r) want += Value(r, i, call);
        if (x[i] != want) ++wrong;
      }
      if (call % 10 == 0) SGL_RETURN_IF_ERROR(comm.Barrier());
    }
    return Status::Ok();
  });
  for (const Status& s : statuses) ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(wrong.load(), 0);
}

TEST_P(SharedMemoryCommunicatorTest, MismatchedSizesFailOnEveryRankAndTheGroupGoesOn) {
  const int size = GetParam();
  auto statuses = RunRanks(size, [&](int rank, Communicator& comm) {
    std::vector<float> x(rank == 0 ? 8 : 4, 1.0f);
    Status mismatch = comm.AllReduceSum(F32(x, 1, static_cast<int64_t>(x.size())));
    if (mismatch.ok() != (size == 1)) return Status(StatusCode::kInternal, "a mismatched all-reduce succeeded");
    std::vector<float> y(4, 1.0f);
    SGL_RETURN_IF_ERROR(comm.AllReduceSum(F32(y, 1, 4)));
    return y[0] == static_cast<float>(size) ? Status::Ok() : Status(StatusCode::kInternal, "wrong sum after a mismatch");
  });
  for (const Status& s : statuses) EXPECT_TRUE(s.ok()) << s.message();
}

TEST_P(SharedMemoryCommunicatorTest, AbortWakesRanksWaitingForOneThatNeverComes) {
  const int size = GetParam();
  auto group = SharedMemoryCommunicator::CreateGroup(size);
  std::vector<std::future<Status>> waiting;
  std::vector<std::vector<float>> bufs(size, std::vector<float>(16, 1.0f));
  for (int r = 1; r < size; ++r)  // rank 0 never joins
    waiting.push_back(std::async(std::launch::async, [&, r] { return group[r]->AllReduceSum(F32(bufs[r], 1, 16)); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  group[0]->Abort();
  for (auto& w : waiting) {
    ASSERT_EQ(w.wait_for(std::chrono::seconds(10)), std::future_status::ready) << "a rank is still blocked";
    EXPECT_FALSE(w.get().ok());
  }
  // Every later call fails at once, on every rank.
  for (int r = 0; r < size; ++r) {
    EXPECT_FALSE(group[r]->Barrier().ok());
    EXPECT_FALSE(group[r]->AllReduceSum(F32(bufs[r], 1, 16)).ok());
  }
}

INSTANTIATE_TEST_SUITE_P(Ranks, SharedMemoryCommunicatorTest, ::testing::Values(1, 2, 3, 4));

TEST(SharedMemoryCommunicatorChecks, RefusesWrongShapesAndTypes) {
  auto group = SharedMemoryCommunicator::CreateGroup(1);
  std::vector<float> x(4), out(3);
  EXPECT_FALSE(group[0]->AllGatherLastDim(F32(x, 1, 4), F32(out, 1, 3)).ok());
  std::vector<uint16_t> half(4);
  EXPECT_FALSE(group[0]->AllReduceSum(Tensor{half.data(), DType::kBF16, 1, 4}).ok());
  std::vector<uint8_t> bytes(4);
  EXPECT_FALSE(group[0]->Broadcast(bytes, 1).ok());
}

}  // namespace
}  // namespace sgl
