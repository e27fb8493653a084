#include "lang/image_source.h"

#include <string_view>

#include "lang/http_client.h"
#include "multimodal/image_source.h"

namespace sgl::lang {
namespace {

constexpr std::string_view kHttp = "http://";

node::Image FromResult(Result<std::string> bytes, const std::string& source) {
  if (!bytes.ok()) return node::Image{"", bytes.status().message()};
  if (bytes->empty()) return node::Image{"", "image '" + source + "' is empty"};
  return node::Image{std::move(bytes).value(), ""};
}

Result<std::string> Fetch(const std::string& url) {
  const size_t path_begin = url.find('/', kHttp.size());
  const std::string base = path_begin == std::string::npos ? url : url.substr(0, path_begin);
  SGL_ASSIGN_OR_RETURN(HttpClient client, HttpClient::Create(base, "", std::chrono::seconds(60)));
  Result<std::string> body = client.Get(path_begin == std::string::npos ? "/" : url.substr(path_begin));
  if (!body.ok()) return body.status().WithContext("fetching image '" + url + "'");
  return body;
}

}  // namespace

node::Image ReadImageSource(const std::string& path_or_url) {
  if (path_or_url.rfind(kHttp, 0) == 0) return FromResult(Fetch(path_or_url), path_or_url);
  if (path_or_url.rfind("https://", 0) == 0)
    return node::Image{"", "image URL '" + path_or_url + "' needs TLS, which the frontend does not speak: download it first"};
  return FromResult(multimodal::LoadImageBytes(path_or_url, {}, "image '" + path_or_url + "'"), path_or_url);
}

}  // namespace sgl::lang
