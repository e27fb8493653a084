// Follows libImaging/Resample.c of Pillow 13 (precompute_coeffs, normalize_coeffs_8bpc,
// ImagingResampleHorizontal_8bpc / Vertical_8bpc, ImagingResampleInner's pass order); the
// rounding steps and the order of the passes are what make the result byte-identical, so
// they are kept exactly.
#include "multimodal/bicubic_resize.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace sgl::multimodal {
namespace {

constexpr int kPrecisionBits = 32 - 8 - 2;
constexpr double kSupport = 2.0;

double BicubicFilter(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

// For each output index: the first input index and the fixed-point weights of the inputs
// [first, first + weights.size()).
struct Taps {
  std::vector<int> first;
  std::vector<std::vector<int32_t>> weights;
};

Taps ComputeTaps(int in_size, int out_size) {
  const double scale = static_cast<double>(in_size) / out_size;
  const double filter_scale = std::max(scale, 1.0);
  const double support = kSupport * filter_scale;
  Taps taps;
  taps.first.resize(out_size);
  taps.weights.resize(out_size);
  const double inverse_filter_scale = 1.0 / filter_scale;  // Pillow multiplies by the reciprocal
  std::vector<double> w;
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    const int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    w.assign(std::max(xmax, 0), 0.0);
    double total = 0.0;
    for (int x = 0; x < xmax; ++x) {
      w[x] = BicubicFilter((x + xmin - center + 0.5) * inverse_filter_scale);
      total += w[x];
    }
    std::vector<int32_t>& fixed = taps.weights[xx];
    fixed.resize(w.size());
    for (size_t x = 0; x < w.size(); ++x) {
      const double k = total != 0.0 ? w[x] / total : w[x];
      const double scaled = k * (1 << kPrecisionBits);
      fixed[x] = static_cast<int32_t>(k < 0 ? scaled - 0.5 : scaled + 0.5);
    }
    taps.first[xx] = xmin;
  }
  return taps;
}

uint8_t Clip8(int32_t value) {
  if (value >= (1 << kPrecisionBits << 8)) return 255;
  if (value <= 0) return 0;
  return static_cast<uint8_t>(value >> kPrecisionBits);
}

// Resamples rows [row_begin, row_end) of `in` horizontally to `taps.first.size()` columns.
Image ResizeRows(const Image& in, const Taps& taps, int row_begin, int row_end) {
  Image out;
  out.width = static_cast<int>(taps.first.size());
  out.height = row_end - row_begin;
  out.rgb.resize(out.num_pixels() * 3);
  for (int y = row_begin; y < row_end; ++y) {
    uint8_t* dst = &out.rgb[static_cast<size_t>(y - row_begin) * out.width * 3];
    for (int xx = 0; xx < out.width; ++xx) {
      const std::vector<int32_t>& k = taps.weights[xx];
      const uint8_t* src = in.Pixel(taps.first[xx], y);
      int32_t sum[3] = {1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1)};
      for (size_t x = 0; x < k.size(); ++x) {
        for (int c = 0; c < 3; ++c) sum[c] += src[x * 3 + c] * k[x];
      }
      for (int c = 0; c < 3; ++c) dst[xx * 3 + c] = Clip8(sum[c]);
    }
  }
  return out;
}

// Resamples `in` vertically; `taps.first` is relative to `in`'s row 0 shifted by `row_offset`.
Image ResizeColumns(const Image& in, const Taps& taps, int row_offset) {
  Image out;
  out.width = in.width;
  out.height = static_cast<int>(taps.first.size());
  out.rgb.resize(out.num_pixels() * 3);
  const size_t row_bytes = static_cast<size_t>(in.width) * 3;
  for (int yy = 0; yy < out.height; ++yy) {
    const std::vector<int32_t>& k = taps.weights[yy];
    const uint8_t* src = &in.rgb[static_cast<size_t>(taps.first[yy] - row_offset) * row_bytes];
    uint8_t* dst = &out.rgb[static_cast<size_t>(yy) * row_bytes];
    for (size_t i = 0; i < row_bytes; ++i) {
      int32_t sum = 1 << (kPrecisionBits - 1);
      for (size_t y = 0; y < k.size(); ++y) sum += src[y * row_bytes + i] * k[y];
      dst[i] = Clip8(sum);
    }
  }
  return out;
}

// Pillow 13's ImagingResampleInner runs the vertical pass first when the height shrinks by
// more than twice as many pixels as the width does (counted in pixels, not as a ratio; a
// growing width counts negative), so that the horizontal pass has fewer rows to filter.
// The 8-bit rounding between the passes makes the order visible in the output.
bool VerticalPassFirst(const Image& image, int width, int height) {
  const int64_t rows_removed = int64_t{image.height} - height;
  const int64_t columns_removed = int64_t{image.width} - width;
  return rows_removed > 0 && rows_removed > 2 * columns_removed;
}

}  // namespace

Image ResizeBicubic(const Image& image, int width, int height) {
  if (width == image.width && height == image.height) return image;
  if (height == image.height) return ResizeRows(image, ComputeTaps(image.width, width), 0, image.height);
  const Taps vertical = ComputeTaps(image.height, height);
  if (width == image.width) return ResizeColumns(image, vertical, 0);
  const Taps horizontal = ComputeTaps(image.width, width);
  if (VerticalPassFirst(image, width, height)) {
    const Image columns = ResizeColumns(image, vertical, 0);
    return ResizeRows(columns, horizontal, 0, columns.height);
  }
  // Only the rows the vertical pass reads go through the horizontal pass.
  const int row_begin = vertical.first.front();
  const int row_end = vertical.first.back() + static_cast<int>(vertical.weights.back().size());
  const Image rows = ResizeRows(image, horizontal, row_begin, row_end);
  return ResizeColumns(rows, vertical, row_begin);
}

}  // namespace sgl::multimodal
