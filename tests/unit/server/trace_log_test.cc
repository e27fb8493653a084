// Trace records: every stage's field, the grammar fields only where they apply, contents
// only when the record carries them; TraceLog writes every record it was given, in order,
// off the calling thread, before its destructor returns.
#include "server/trace_log.h"

#include <memory>
#include <sstream>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "testing/test_paths.h"

namespace sgl::server {
namespace {

std::unique_ptr<Tokenizer> LlamaTokenizer() {
  auto t = Tokenizer::FromTokenizerJson(testing::SourcePath("tests/fixtures/models/llama/hf/tokenizer.json"));
  EXPECT_TRUE(t.ok()) << t.status().message();
  return t.ok() ? std::move(t).value() : nullptr;
}

TraceRecord Finished(const std::string& rid) {
  TraceRecord r;
  r.rid = rid;
  r.route = "/generate";
  r.e2e_ms = 12.5;
  r.prompt_tokens = 7;
  r.stats.completion_tokens = 5;
  r.stats.decode_seconds = 0.004;
  r.finish = "length";
  return r;
}

TEST(TraceLogTest, RecordHoldsEveryStageAndNoContentsByDefault) {
  auto tokenizer = LlamaTokenizer();
  ASSERT_NE(tokenizer, nullptr);
  const Json t = TraceJson(Finished("a"), *tokenizer);
  for (const char* key : {"rid", "route", "e2e_ms", "tokenize_ms", "prompt_tokens", "cached_tokens", "queue_ms",
                          "prefill_ms", "prefill_chunks", "decode_tokens", "decode_ms", "decode_tok_per_s",
                          "completion_tokens", "retractions", "finish"})
    EXPECT_TRUE(t.contains(key)) << key;
  EXPECT_DOUBLE_EQ(t["decode_tok_per_s"].get<double>(), 4 / 0.004);
  for (const char* key : {"grammar_compile_ms", "grammar_stop_position", "prompt", "output", "error"})
    EXPECT_FALSE(t.contains(key)) << key;
}

TEST(TraceLogTest, GrammarStopAndContentsWhenCarried) {
  auto tokenizer = LlamaTokenizer();
  ASSERT_NE(tokenizer, nullptr);
  TraceRecord r = Finished("b");
  r.constrained = true;
  r.stats.grammar_stop = GrammarStop{5, "incomplete"};
  Json t = TraceJson(r, *tokenizer);
  EXPECT_EQ(t["grammar_stop_position"], 5);
  EXPECT_EQ(t["grammar_stop_reason"], "incomplete");
  EXPECT_TRUE(t.contains("grammar_compile_ms"));
  EXPECT_FALSE(t.contains("grammar_stop_text"));
  r.prompt_ids = tokenizer->Encode("hello world", false);
  r.output_text = "{\"a\": ";
  t = TraceJson(r, *tokenizer);
  EXPECT_EQ(t["grammar_stop_text"], "{\"a\": ");
  EXPECT_EQ(t["output"], "{\"a\": ");
  EXPECT_EQ(t["prompt"], "hello world");
  r.error = "bad request";
  t = TraceJson(r, *tokenizer);
  EXPECT_EQ(t["finish"], "error");
  EXPECT_EQ(t["error"], "bad request");
  EXPECT_EQ(TraceText(Json{{"rid", "x"}, {"e2e_ms", 1.0}, {"finish", "stop"}}), " e2e_ms=1.000 finish=stop");
}

TEST(TraceLogTest, WritesEveryRecordInOrderBeforeItIsDestroyed) {
  auto tokenizer = LlamaTokenizer();
  ASSERT_NE(tokenizer, nullptr);
  std::ostringstream out;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("trace_test", std::make_shared<spdlog::sinks::ostream_sink_mt>(out)));
  {
    TraceLog log(*tokenizer, /*json=*/true);
    for (int i = 0; i < 100; ++i) log.Add(Finished("r" + std::to_string(i)));
  }
  spdlog::set_default_logger(previous);
  std::istringstream lines(out.str());
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    const Json t = Json::parse(line.substr(line.find('{')));
    EXPECT_EQ(t["rid"], "r" + std::to_string(n++));
  }
  EXPECT_EQ(n, 100);
}

}  // namespace
}  // namespace sgl::server
