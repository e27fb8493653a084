#include "multimodal/smart_resize.h"

#include <algorithm>
#include <cmath>

namespace sgl::multimodal {
namespace {

// Python's round(): halves go to the even neighbour.
int64_t RoundHalfEven(double x) {
  const double lower = std::floor(x);
  const double diff = x - lower;
  auto result = static_cast<int64_t>(lower);
  if (diff > 0.5 || (diff == 0.5 && result % 2 != 0)) ++result;
  return result;
}

}  // namespace

Result<ResizedSize> SmartResize(int height, int width, const SmartResizeParams& params, std::string_view what) {
  if (height <= 0 || width <= 0) return InvalidArgument("{}: image has no pixels ({}x{})", what, width, height);
  if (params.factor <= 0) return InvalidArgument("{}: resize factor must be positive", what);
  const double factor = params.factor;
  double h = height, w = width;
  // The frames the area limits count: GLM-4.1V compares t * h * w with them.
  double num_frames = 1;
  if (params.rule == ResizeRule::kGlm4v) {
    num_frames = params.temporal_patch_size;
    if (h < factor || w < factor) {
      const double scale = std::max(factor / h, factor / w);
      h = std::trunc(h * scale);
      w = std::trunc(w * scale);
    }
  }
  const double ratio = std::max(h, w) / std::min(h, w);
  if (ratio > 200) {
    return InvalidArgument("{}: image aspect ratio {:.1f} ({}x{}) is over the limit of 200", what, ratio, width,
                           height);
  }
  // round(t / temporal) * temporal is t itself for the single image both rules see.
  int64_t h_bar = RoundHalfEven(h / factor) * params.factor;
  int64_t w_bar = RoundHalfEven(w / factor) * params.factor;
  const double area = num_frames * static_cast<double>(h_bar) * static_cast<double>(w_bar);
  if (area > static_cast<double>(params.max_pixels)) {
    const double beta = std::sqrt(num_frames * h * w / static_cast<double>(params.max_pixels));
    h_bar = std::max<int64_t>(params.factor, static_cast<int64_t>(std::floor(h / beta / factor)) * params.factor);
    w_bar = std::max<int64_t>(params.factor, static_cast<int64_t>(std::floor(w / beta / factor)) * params.factor);
  } else if (area < static_cast<double>(params.min_pixels)) {
    const double beta = std::sqrt(static_cast<double>(params.min_pixels) / (num_frames * h * w));
    h_bar = static_cast<int64_t>(std::ceil(h * beta / factor)) * params.factor;
    w_bar = static_cast<int64_t>(std::ceil(w * beta / factor)) * params.factor;
  }
  if (h_bar <= 0 || w_bar <= 0 || h_bar > (1 << 20) || w_bar > (1 << 20)) {
    return InvalidArgument("{}: cannot resize a {}x{} image within [{}, {}] pixels", what, width, height,
                           params.min_pixels, params.max_pixels);
  }
  return ResizedSize{static_cast<int>(h_bar), static_cast<int>(w_bar)};
}

}  // namespace sgl::multimodal
