#include "multimodal/tower_vision_model.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "format/json_document.h"

namespace sgl::multimodal {
namespace {

namespace fs = std::filesystem;

Result<std::string> ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return NotFound("{}: cannot read", path.string());
  return text.str();
}

}  // namespace

Result<ImagePreprocessConfig> LoadPreprocessConfig(const std::string& dir, ResizeRule rule) {
  const fs::path path = fs::path(dir) / "preprocessor_config.json";
  if (!fs::exists(path)) return rule == ResizeRule::kGlm4v ? ImagePreprocessConfig::Glm4v() : ImagePreprocessConfig::Qwen2Vl();
  SGL_ASSIGN_OR_RETURN(const std::string text, ReadText(path));
  SGL_ASSIGN_OR_RETURN(ImagePreprocessConfig config, ImagePreprocessConfig::FromJson(text, rule));
  SGL_RETURN_IF_ERROR(config.Validate());
  return config;
}

Result<int32_t> ReadImageTokenId(const std::string& dir) {
  const fs::path path = fs::path(dir) / "config.json";
  SGL_ASSIGN_OR_RETURN(const std::string text, ReadText(path));
  SGL_ASSIGN_OR_RETURN(nlohmann::json config, ParseJsonDocument(text));
  auto it = config.find("image_token_id");
  if (it == config.end() || !it->is_number_integer()) return NotFound("{}: no integer 'image_token_id'", path.string());
  return it->get<int32_t>();
}

Status CheckPatchGeometry(const std::string& dir, const ImagePreprocessConfig& config, const VisionTowerConfig& v) {
  if (v.patch_size == config.patch_size && v.temporal_patch_size == config.temporal_patch_size &&
      v.spatial_merge_size == config.merge_size)
    return Status::Ok();
  return InvalidArgument("{}: preprocessor_config.json (patch {}, temporal {}, merge {}) disagrees with the vision "
                         "tower (patch {}, temporal {}, merge {})",
                         dir, config.patch_size, config.temporal_patch_size, config.merge_size, v.patch_size,
                         v.temporal_patch_size, v.spatial_merge_size);
}

}  // namespace sgl::multimodal
