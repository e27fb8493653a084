// ResizeBicubic speed on a 1920x1080 RGB image: best-of-ROUNDS wall time per target size,
// one thread. Prints one JSON object {"1920x1080->WxH": milliseconds, ...};
// bench/resize_vs_pillow.py runs it beside Pillow's Image.resize(BICUBIC) on the same sizes.
//   ./build/bench/bench_resize [ROUNDS] [WxH ...]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include "multimodal/bicubic_resize.h"

namespace {

using Clock = std::chrono::steady_clock;

// A noisy image: timing does not depend on content, but a flat one could flatter a cache.
sgl::multimodal::Image NoiseImage(int width, int height) {
  sgl::multimodal::Image image;
  image.width = width;
  image.height = height;
  image.rgb.resize(image.num_pixels() * 3);
  uint32_t state = 12345;
  for (uint8_t& v : image.rgb) {
    state = state * 1664525u + 1013904223u;
    v = static_cast<uint8_t>(state >> 24);
  }
  return image;
}

}  // namespace

int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 10;
  // Defaults: Qwen2-VL's and GLM-4.1V's default smart_resize of 1920x1080, a size Pillow
  // resizes vertical-first, and a thumbnail.
  std::vector<std::pair<int, int>> sizes = {{1316, 728}, {1932, 1092}, {1904, 1036}, {224, 224}};
  if (argc > 2) sizes.clear();
  for (int i = 2; i < argc; ++i) {
    int width = 0, height = 0;
    if (std::sscanf(argv[i], "%dx%d", &width, &height) != 2 || width < 1 || height < 1) {
      std::fprintf(stderr, "bad size %s (want WxH)\n", argv[i]);
      return 2;
    }
    sizes.emplace_back(width, height);
  }
  const sgl::multimodal::Image source = NoiseImage(1920, 1080);
  std::printf("{");
  for (size_t s = 0; s < sizes.size(); ++s) {
    double best_ms = 1e30;
    for (int r = 0; r < rounds; ++r) {
      const auto start = Clock::now();
      const auto resized = sgl::multimodal::ResizeBicubic(source, sizes[s].first, sizes[s].second);
      const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      if (resized.width != sizes[s].first) return 1;
      best_ms = std::min(best_ms, ms);
    }
    std::printf("%s\"1920x1080->%dx%d\": %.3f", s ? ", " : "", sizes[s].first, sizes[s].second, best_ms);
  }
  std::printf("}\n");
  return 0;
}
