#include "runtime/image_prompt.h"

#include <chrono>

#include "multimodal/image_placeholders.h"

namespace sgl {
namespace {

namespace mm = multimodal;

struct LoadedImage {
  mm::ImageHash hash;
  std::shared_ptr<const mm::PixelPatches> patches;
  int num_tokens = 0;
};

Result<LoadedImage> LoadImage(const ImageInput& input, const mm::VisionModel& vision,
                              const ImagePromptOptions& options, const std::string& what) {
  std::string bytes = input.bytes;
  if (bytes.empty()) {
    if (input.source.empty()) return InvalidArgument("{}: neither bytes nor a source given", what);
    SGL_ASSIGN_OR_RETURN(bytes, mm::LoadImageBytes(input.source, options.source, what));
  }
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  SGL_ASSIGN_OR_RETURN(mm::Image image, mm::DecodeImage({data, bytes.size()}, options.limits, what));
  LoadedImage out;
  out.hash = mm::HashImage(image);
  SGL_ASSIGN_OR_RETURN(mm::PixelPatches patches, vision.Preprocess(image, what));
  out.num_tokens = vision.NumImageTokens(patches);
  out.patches = std::make_shared<const mm::PixelPatches>(std::move(patches));
  return out;
}

}  // namespace

Result<ImagePrompt> BuildImagePrompt(std::span<const int32_t> input_ids, std::span<const ImageInput> images,
                                     const mm::VisionModel& vision, const ImagePromptOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<LoadedImage> loaded;
  std::vector<int> counts;
  std::vector<mm::VisionGrid> grids;
  for (size_t i = 0; i < images.size(); ++i) {
    SGL_ASSIGN_OR_RETURN(LoadedImage image, LoadImage(images[i], vision, options, fmt::format("image {}", i)));
    counts.push_back(image.num_tokens);
    grids.push_back({image.patches->grid_t, image.patches->grid_h, image.patches->grid_w});
    loaded.push_back(std::move(image));
  }
  SGL_ASSIGN_OR_RETURN(mm::ExpandedPrompt expanded,
                       mm::ExpandImagePlaceholders(input_ids, vision.image_token_id(), counts));
  ImagePrompt out;
  SGL_ASSIGN_OR_RETURN(out.mrope, vision.Positions(expanded.input_ids, grids));
  out.input_ids = std::move(expanded.input_ids);
  for (size_t i = 0; i < loaded.size(); ++i) {
    RequestImage image;
    image.token_begin = expanded.images[i].begin;
    image.num_tokens = expanded.images[i].num_tokens;
    image.hash = loaded[i].hash;
    image.patches = std::move(loaded[i].patches);
    const int32_t pad = mm::ImagePadId(image.hash, options.vocab_size);
    std::fill_n(out.input_ids.begin() + image.token_begin, image.num_tokens, pad);
    out.images.push_back(std::move(image));
  }
  out.preprocess_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace sgl
