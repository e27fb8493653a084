// Tokenizer throughput: encode (one thread, document by document, and a batch spread over
// N threads) and decode (whole documents, and token by token through TokenBytes, the cost
// a streaming detokenizer pays per token) over a JSON list of documents. Prints one JSON
// object; bench/tokenizer_vs_hf.py runs it beside HF `tokenizers` on the same corpus.
//   ./build/bench/bench_tokenizer TOKENIZER_JSON CORPUS_JSON [THREADS] [ROUNDS]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tokenizer/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Best of `rounds` runs of `body`, in seconds.
template <typename Body>
double Best(int rounds, Body body) {
  double best = 1e30;
  for (int r = 0; r < rounds; ++r) {
    const auto start = Clock::now();
    body();
    best = std::min(best, Seconds(start));
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s TOKENIZER_JSON CORPUS_JSON [THREADS] [ROUNDS]\n", argv[0]);
    return 2;
  }
  const int threads = argc > 3 ? std::max(1, std::atoi(argv[3])) : static_cast<int>(std::thread::hardware_concurrency());
  const int rounds = argc > 4 ? std::max(1, std::atoi(argv[4])) : 3;
  auto tok = sgl::Tokenizer::FromTokenizerJson(argv[1]);
  if (!tok.ok()) {
    std::fprintf(stderr, "%s\n", tok.status().message().c_str());
    return 1;
  }
  std::ifstream in(argv[2]);
  std::stringstream text;
  text << in.rdbuf();
  const auto docs = nlohmann::json::parse(text.str(), nullptr, false).get<std::vector<std::string>>();
  size_t bytes = 0;
  for (const auto& d : docs) bytes += d.size();

  std::vector<std::vector<int32_t>> ids(docs.size());
  const double encode_single = Best(rounds, [&] {
    for (size_t i = 0; i < docs.size(); ++i) ids[i] = (*tok)->Encode(docs[i], false);
  });
  size_t tokens = 0;
  uint64_t checksum = 0;  // same formula in tokenizer_vs_hf.py: the ids must agree
  for (const auto& doc_ids : ids) {
    for (const int32_t id : doc_ids) checksum = checksum * 1000003 + static_cast<uint64_t>(id) + 1;
    tokens += doc_ids.size();
  }
  const double encode_batch = Best(rounds, [&] {
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&] {
        for (size_t i = next++; i < docs.size(); i = next++) ids[i] = (*tok)->Encode(docs[i], false);
      });
    }
    for (auto& th : pool) th.join();
  });
  size_t decoded_bytes = 0;
  const double decode = Best(rounds, [&] {
    decoded_bytes = 0;
    for (const auto& doc_ids : ids) decoded_bytes += (*tok)->Decode(doc_ids, false).size();
  });
  const double token_bytes = Best(rounds, [&] {
    size_t n = 0;
    for (const auto& doc_ids : ids)
      for (const int32_t id : doc_ids) n += (*tok)->TokenBytes(id).size();
    if (n == 0) std::fprintf(stderr, "no bytes\n");
  });
  nlohmann::json out = {{"docs", docs.size()},
                        {"bytes", bytes},
                        {"tokens", tokens},
                        {"checksum", std::to_string(checksum)},
                        {"threads", threads},
                        {"encode_single_s", encode_single},
                        {"encode_batch_s", encode_batch},
                        {"decode_s", decode},
                        {"token_bytes_s", token_bytes}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
