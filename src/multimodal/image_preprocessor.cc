#include "multimodal/image_preprocessor.h"

#include <nlohmann/json.hpp>

#include "format/json_document.h"
#include "multimodal/bicubic_resize.h"

namespace sgl::multimodal {
namespace {

using nlohmann::json;

constexpr const char* kConfigName = "preprocessor_config.json";

Status ReadInt(const json& j, const char* key, int64_t& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::Ok();
  if (!it->is_number_integer()) return InvalidArgument("{}: '{}' must be an integer", kConfigName, key);
  out = it->get<int64_t>();
  return Status::Ok();
}

Status ReadInt(const json& j, const char* key, int& out) {
  int64_t value = out;
  SGL_RETURN_IF_ERROR(ReadInt(j, key, value));
  if (value < 1 || value > 1024) return InvalidArgument("{}: '{}' must be in [1, 1024]", kConfigName, key);
  out = static_cast<int>(value);
  return Status::Ok();
}

Status ReadTriple(const json& j, const char* key, std::array<float, 3>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return Status::Ok();
  if (!it->is_array() || it->size() != 3) return InvalidArgument("{}: '{}' must be 3 numbers", kConfigName, key);
  for (size_t c = 0; c < 3; ++c) {
    if (!(*it)[c].is_number()) return InvalidArgument("{}: '{}' must be 3 numbers", kConfigName, key);
    out[c] = (*it)[c].get<float>();
  }
  return Status::Ok();
}

}  // namespace

ImagePreprocessConfig ImagePreprocessConfig::Qwen2Vl() { return {}; }

ImagePreprocessConfig ImagePreprocessConfig::Glm4v() {
  ImagePreprocessConfig config;
  config.rule = ResizeRule::kGlm4v;
  config.min_pixels = 112 * 112;
  config.max_pixels = 28 * 28 * 15000;
  return config;
}

Result<ImagePreprocessConfig> ImagePreprocessConfig::FromJson(std::string_view json_text, ResizeRule rule) {
  auto parsed = ParseJsonDocument(json_text);
  if (!parsed.ok()) return parsed.status().WithContext(kConfigName);
  const json& j = *parsed;
  if (!j.is_object()) return InvalidArgument("{}: not a JSON object", kConfigName);
  ImagePreprocessConfig config = rule == ResizeRule::kGlm4v ? Glm4v() : Qwen2Vl();
  if (auto size = j.find("size"); size != j.end() && size->is_object()) {
    SGL_RETURN_IF_ERROR(ReadInt(*size, "shortest_edge", config.min_pixels));
    SGL_RETURN_IF_ERROR(ReadInt(*size, "longest_edge", config.max_pixels));
  }
  // Qwen2-VL's files carry top-level min/max_pixels, which its processor prefers.
  SGL_RETURN_IF_ERROR(ReadInt(j, "min_pixels", config.min_pixels));
  SGL_RETURN_IF_ERROR(ReadInt(j, "max_pixels", config.max_pixels));
  SGL_RETURN_IF_ERROR(ReadInt(j, "patch_size", config.patch_size));
  SGL_RETURN_IF_ERROR(ReadInt(j, "temporal_patch_size", config.temporal_patch_size));
  SGL_RETURN_IF_ERROR(ReadInt(j, "merge_size", config.merge_size));
  SGL_RETURN_IF_ERROR(ReadTriple(j, "image_mean", config.mean));
  SGL_RETURN_IF_ERROR(ReadTriple(j, "image_std", config.std));
  if (auto it = j.find("rescale_factor"); it != j.end() && it->is_number()) config.rescale_factor = it->get<double>();
  SGL_RETURN_IF_ERROR(config.Validate());
  return config;
}

Status ImagePreprocessConfig::Validate() const {
  if (patch_size < 1 || temporal_patch_size < 1 || merge_size < 1) {
    return InvalidArgument("{}: patch, temporal patch and merge sizes must be positive", kConfigName);
  }
  if (min_pixels < 1 || max_pixels < min_pixels) {
    return InvalidArgument("{}: need 1 <= min_pixels ({}) <= max_pixels ({})", kConfigName, min_pixels, max_pixels);
  }
  for (const float s : std) {
    if (!(s > 0)) return InvalidArgument("{}: image_std must be positive", kConfigName);
  }
  return Status::Ok();
}

Result<ResizedSize> ImagePreprocessor::TargetSize(int height, int width, std::string_view what) const {
  SmartResizeParams params;
  params.rule = config_.rule;
  params.factor = config_.patch_size * config_.merge_size;
  params.min_pixels = config_.min_pixels;
  params.max_pixels = config_.max_pixels;
  params.temporal_patch_size = config_.temporal_patch_size;
  return SmartResize(height, width, params, what);
}

int ImagePreprocessor::NumImageTokens(const PixelPatches& patches) const {
  return patches.num_patches() / (config_.merge_size * config_.merge_size);
}

Result<PixelPatches> ImagePreprocessor::Preprocess(const Image& image, std::string_view what) const {
  SGL_ASSIGN_OR_RETURN(const ResizedSize size, TargetSize(image.height, image.width, what));
  return Patchify(ResizeBicubic(image, size.width, size.height));
}

PixelPatches ImagePreprocessor::Patchify(const Image& resized) const {
  // Rescale in double then round to float, normalize in float: numpy's order of operations.
  std::array<std::array<float, 256>, 3> normalized;
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) {
      const auto rescaled = static_cast<float>(v * config_.rescale_factor);
      normalized[c][v] = (rescaled - config_.mean[c]) / config_.std[c];
    }
  }
  const int p = config_.patch_size, m = config_.merge_size, t = config_.temporal_patch_size;
  PixelPatches out;
  out.grid_h = resized.height / p;
  out.grid_w = resized.width / p;
  out.patch_dim = 3 * t * p * p;
  out.resized_height = resized.height;
  out.resized_width = resized.width;
  out.values.resize(static_cast<size_t>(out.num_patches()) * out.patch_dim);
  // Row order (block_h, block_w, in-block h, in-block w); column order (c, t, y, x).
  float* dst = out.values.data();
  for (int bh = 0; bh < out.grid_h / m; ++bh) {
    for (int bw = 0; bw < out.grid_w / m; ++bw) {
      for (int mh = 0; mh < m; ++mh) {
        for (int mw = 0; mw < m; ++mw) {
          const int y0 = (bh * m + mh) * p, x0 = (bw * m + mw) * p;
          for (int c = 0; c < 3; ++c) {
            for (int ti = 0; ti < t; ++ti) {
              for (int y = 0; y < p; ++y) {
                for (int x = 0; x < p; ++x) *dst++ = normalized[c][resized.Pixel(x0 + x, y0 + y)[c]];
              }
            }
          }
        }
      }
    }
  }
  return out;
}

}  // namespace sgl::multimodal
