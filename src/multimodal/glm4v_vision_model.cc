#include "multimodal/glm4v_vision_model.h"

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

// The folder's preprocessor_config.json over Glm4vImageProcessor's defaults.
Result<ImagePreprocessConfig> LoadPreprocessConfig(const std::string& dir) {
  const fs::path path = fs::path(dir) / "preprocessor_config.json";
  if (!fs::exists(path)) return ImagePreprocessConfig::Glm4v();
  SGL_ASSIGN_OR_RETURN(const std::string text, ReadText(path));
  SGL_ASSIGN_OR_RETURN(ImagePreprocessConfig config, ImagePreprocessConfig::FromJson(text, ResizeRule::kGlm4v));
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

}  // namespace

Result<std::unique_ptr<Glm4vVisionModel>> Glm4vVisionModel::Load(const std::string& dir, Backend& backend) {
  SGL_ASSIGN_OR_RETURN(ImagePreprocessConfig config, LoadPreprocessConfig(dir));
  SGL_ASSIGN_OR_RETURN(const int32_t image_token_id, ReadImageTokenId(dir));
  SGL_ASSIGN_OR_RETURN(std::unique_ptr<Glm4vVisionTower> tower, Glm4vVisionTower::Load(dir, backend));
  const Glm4vVisionConfig& v = tower->config();
  if (v.patch_size != config.patch_size || v.temporal_patch_size != config.temporal_patch_size ||
      v.spatial_merge_size != config.merge_size) {
    return InvalidArgument("{}: preprocessor_config.json (patch {}, temporal {}, merge {}) disagrees with the vision "
                           "tower (patch {}, temporal {}, merge {})",
                           dir, config.patch_size, config.temporal_patch_size, config.merge_size, v.patch_size,
                           v.temporal_patch_size, v.spatial_merge_size);
  }
  return std::unique_ptr<Glm4vVisionModel>(new Glm4vVisionModel(std::move(tower), config, image_token_id));
}

}  // namespace sgl::multimodal
