#include "multimodal/vision_tower_config.h"

namespace sgl::multimodal {

using nlohmann::json;

Status ReadVisionInt(const json& v, const char* key, int& out, bool required) {
  auto it = v.find(key);
  if (it == v.end() || it->is_null()) {
    return required ? NotFound("config.json: vision_config lacks '{}'", key) : Status::Ok();
  }
  if (!it->is_number_integer() || it->get<int64_t>() < 1 || it->get<int64_t>() > (1 << 20)) {
    return InvalidArgument("config.json: vision_config.{} must be a positive integer", key);
  }
  out = it->get<int>();
  return Status::Ok();
}

Result<const json*> ReadVisionTowerConfig(const json& config, VisionTowerConfig& c) {
  auto it = config.find("vision_config");
  if (it == config.end() || !it->is_object()) return NotFound("config.json: missing 'vision_config'");
  const json& v = *it;
  SGL_RETURN_IF_ERROR(ReadVisionInt(v, "depth", c.depth, true));
  SGL_RETURN_IF_ERROR(ReadVisionInt(v, "hidden_size", c.hidden_size, true));
  SGL_RETURN_IF_ERROR(ReadVisionInt(v, "num_heads", c.num_heads, true));
  SGL_RETURN_IF_ERROR(ReadVisionInt(v, "intermediate_size", c.intermediate_size, true));
  SGL_RETURN_IF_ERROR(ReadVisionInt(v, "out_hidden_size", c.out_hidden_size, true));
  SGL_RETURN_IF_ERROR(ReadVisionInt(v, "patch_size", c.patch_size, false));
  SGL_RETURN_IF_ERROR(ReadVisionInt(v, "temporal_patch_size", c.temporal_patch_size, false));
  SGL_RETURN_IF_ERROR(ReadVisionInt(v, "spatial_merge_size", c.spatial_merge_size, false));
  SGL_RETURN_IF_ERROR(ReadVisionInt(v, "in_chans", c.in_channels, false));  // Qwen2.5-VL's published name
  SGL_RETURN_IF_ERROR(ReadVisionInt(v, "in_channels", c.in_channels, false));
  if (auto rope = v.find("rope_parameters"); rope != v.end() && rope->is_object()) {
    if (auto theta = rope->find("rope_theta"); theta != rope->end() && theta->is_number()) {
      c.rope_theta = theta->get<double>();
    }
  }
  if (c.hidden_size % c.num_heads != 0 || c.head_dim() % 4 != 0) {
    return InvalidArgument("config.json: vision hidden_size {} does not split into {} heads of a multiple of 4",
                           c.hidden_size, c.num_heads);
  }
  return &v;
}

}  // namespace sgl::multimodal
