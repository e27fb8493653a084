// A gtest fixture with the default model (SmolLM2-135M-Instruct, models/) on the CPU
// engine, shared by a suite's tests, and RunOptions on an EngineBackend over it.
#pragma once

#include <gtest/gtest.h>

#include "lang/engine_backend.h"
#include "lang/run_options.h"
#include "sgl/engine.h"
#include "testing/test_paths.h"

namespace sgl::lang::test {

class LangModelTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    EngineOptions o;
    o.model_path = testing::SourcePath("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    o.device = "cpu";
    o.num_threads = 2;
    o.max_total_tokens = 8192;
    auto engine = Engine::Create(o);
    ASSERT_TRUE(engine.ok()) << engine.status().message();
    engine_ = std::move(engine).value().release();
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }

  static RunOptions Options() {
    RunOptions o;
    o.backend = std::make_shared<EngineBackend>(*engine_);
    return o;
  }

  static inline Engine* engine_ = nullptr;
};

}  // namespace sgl::lang::test
