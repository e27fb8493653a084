// Tests of MappedFile: contents, empty files, and errors naming the path.
#include "base/mapped_file.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>

#include "testing/temp_dir.h"

namespace sgl {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(MappedFileTest, MapsTheWholeFile) {
  test::TempDir dir;
  const std::string path = dir.Write("data.bin", std::string_view("hello mapped world"));
  auto file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ((*file)->path(), path);
  ASSERT_EQ((*file)->size(), 18u);
  EXPECT_EQ(std::memcmp((*file)->data(), "hello mapped world", 18), 0);
}

TEST(MappedFileTest, EmptyFileMapsToZeroBytes) {
  test::TempDir dir;
  const std::string path = dir.Write("empty.bin", std::string_view());
  auto file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ((*file)->size(), 0u);
  EXPECT_NE((*file)->data(), nullptr);
}

TEST(MappedFileTest, MissingFileIsNotFoundNamingThePath) {
  test::TempDir dir;
  const std::string path = dir.PathOf("absent.bin");
  auto file = MappedFile::Open(path);
  ASSERT_FALSE(file.ok());
  EXPECT_EQ(file.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(file.status().message(), AllOf(HasSubstr(path), HasSubstr("No such file")));
}

TEST(MappedFileTest, DirectoryIsRejected) {
  test::TempDir dir;
  auto file = MappedFile::Open(dir.path());
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(file.status().message(), AllOf(HasSubstr(dir.path()), HasSubstr("not a regular file")));
}

}  // namespace
}  // namespace sgl
