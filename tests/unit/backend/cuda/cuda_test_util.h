// Helpers for the CUDA backend's tests: a fixture that skips (the one allowed skip) when
// no GPU is visible, fresh random inputs rounded to BF16 so the CPU reference sees the
// exact values the GPU does, and device <-> host copies.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_device.h"
#include "base/float16.h"

namespace sgl::testing {

class CudaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cuda::DeviceVisible()) GTEST_SKIP() << "no CUDA device is visible: CUDA tests need a GPU";
    auto backend = CudaBackend::Create(0);
    ASSERT_TRUE(backend.ok()) << backend.status().message();
    gpu_ = std::move(backend).value();
    seed_ = std::random_device{}();
    rng_.seed(seed_);
    RecordProperty("seed", std::to_string(seed_));
  }

  // Uniform in [-scale, scale), rounded to bf16.
  std::vector<float> Random(size_t n, float scale = 1.0f) {
    std::uniform_real_distribution<float> dist(-scale, scale);
    std::vector<float> v(n);
    for (float& x : v) x = Bf16ToF32(F32ToBf16(dist(rng_)));
    return v;
  }

  Tensor Device(const std::vector<float>& values, int64_t rows, int64_t cols, DType dtype = DType::kBF16) {
    Tensor t{nullptr, dtype, rows, cols};
    auto buf = gpu_->Allocate(t.NumBytes());
    EXPECT_TRUE(buf.ok());
    t.data = (*buf)->data();
    buffers_.push_back(std::move(buf).value());
    if (dtype == DType::kBF16) {
      std::vector<uint16_t> bits(values.size());
      for (size_t i = 0; i < values.size(); ++i) bits[i] = F32ToBf16(values[i]);
      EXPECT_TRUE(gpu_->CopyFromHost(bits.data(), t).ok());
    } else {
      EXPECT_TRUE(gpu_->CopyFromHost(values.data(), t).ok());
    }
    return t;
  }
  // A device tensor filled with NaN bit patterns, so unwritten outputs show.
  Tensor Poisoned(int64_t rows, int64_t cols, DType dtype = DType::kBF16) {
    const std::vector<float> nan(static_cast<size_t>(rows * cols), std::nanf(""));
    return Device(nan, rows, cols, dtype);
  }
  std::vector<float> Host(const Tensor& t) {
    std::vector<float> out(static_cast<size_t>(t.rows * t.cols));
    const Status s = gpu_->CopyToHost(t, out.data());
    EXPECT_TRUE(s.ok()) << s.message();
    return out;
  }
  static Tensor HostTensor(std::vector<float>& v, int64_t rows, int64_t cols) {
    return {v.data(), DType::kF32, rows, cols};
  }

  // ||got - want|| / ||want||; NaN anywhere gives infinity.
  static double RelErr(const std::vector<float>& got, const std::vector<float>& want) {
    double num = 0, den = 0;
    if (got.size() != want.size()) return INFINITY;
    for (size_t i = 0; i < got.size(); ++i) {
      if (!std::isfinite(got[i])) return INFINITY;
      num += (double(got[i]) - want[i]) * (double(got[i]) - want[i]);
      den += double(want[i]) * want[i];
    }
    return std::sqrt(num / std::max(den, 1e-30));
  }

  std::unique_ptr<CudaBackend> gpu_;
  std::mt19937 rng_;
  uint32_t seed_ = 0;
  std::vector<std::unique_ptr<DeviceBuffer>> buffers_;
};

}  // namespace sgl::testing
