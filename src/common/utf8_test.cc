#include "common/utf8.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

const std::string kFffd = "\xEF\xBF\xBD";

TEST(Utf8Test, ValidTextIsUnchanged) {
  for (std::string text : {"", "plain ascii", "Risco Cambial à vista", "€ 12,50",
                           "\xF0\x9F\x98\x80", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(ToValidUtf8(text), text);
  }
}

TEST(Utf8Test, EveryKindOfBrokenSequenceBecomesAReplacementCharacter) {
  EXPECT_EQ(ToValidUtf8("caf\xE9!"), "caf" + kFffd + "!");        // Latin-1 é
  EXPECT_EQ(ToValidUtf8("\x80x"), kFffd + "x");                   // stray continuation
  EXPECT_EQ(ToValidUtf8("\xC0\xAF"), kFffd + kFffd);              // overlong '/'
  EXPECT_EQ(ToValidUtf8("\xE0\x80\xAF"), kFffd + kFffd + kFffd);  // overlong, 3 bytes
  EXPECT_EQ(ToValidUtf8("\xED\xA0\x80"), kFffd + kFffd + kFffd);  // a surrogate
  EXPECT_EQ(ToValidUtf8("\xF4\x90\x80\x80"), std::string(kFffd) + kFffd + kFffd + kFffd);
  EXPECT_EQ(ToValidUtf8("ok\xE2\x82"), "ok" + kFffd + kFffd);  // cut short at the end
  // UTF-16 text: the NULs are valid (ASCII), the byte-order mark is not.
  EXPECT_EQ(ToValidUtf8(std::string("\xFF\xFEi\0d", 5)), kFffd + kFffd + std::string("i\0d", 3));
}

}  // namespace
}  // namespace strata
