// HttpBackend without a server: bad URLs and unreachable servers are errors, not hangs.
// (Against a real `sgl serve`: tests/e2e/test_lang_vs_python.py.)
#include "lang/http_backend.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

namespace sgl::lang {
namespace {

TEST(HttpBackendTest, BadUrlsAreRefused) {
  for (const char* url : {"", "https://127.0.0.1:1", "127.0.0.1:30000", "http://", "http://host:port", "http://h:"})
    EXPECT_EQ(HttpBackend::Connect(url).status().code(), StatusCode::kInvalidArgument) << url;
}

TEST(HttpBackendTest, AClosedPortIsAnError) {
  // Bind a port, then close it so nothing listens there.
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor acceptor(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const int port = acceptor.local_endpoint().port();
  acceptor.close();
  auto backend = HttpBackend::Connect("http://127.0.0.1:" + std::to_string(port));
  EXPECT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace sgl::lang
