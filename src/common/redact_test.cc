#include "common/redact.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/logging.h"

namespace strata {
namespace {

constexpr const char* kPassword = "S3cretPassw0rd";

TEST(RedactTest, UrlUserinfoPassword) {
  EXPECT_EQ(RedactUrl("postgresql://u:S3cretPassw0rd@127.0.0.1:1/db"),
            "postgresql://u:***@127.0.0.1:1/db");
  EXPECT_EQ(RedactUrl("postgres://:pw@host/db"), "postgres://:***@host/db");
  // A raw '@' in the password: everything up to the last '@' of the authority goes.
  EXPECT_EQ(RedactUrl("mysql://root:p@ss@db:3306"), "mysql://root:***@db:3306");
  // No password, or no userinfo: unchanged.
  EXPECT_EQ(RedactUrl("postgresql://strata@127.0.0.1:5432/db"),
            "postgresql://strata@127.0.0.1:5432/db");
  EXPECT_EQ(RedactUrl("postgresql://127.0.0.1:5432/db"), "postgresql://127.0.0.1:5432/db");
  EXPECT_EQ(RedactUrl("/tmp/project/.strata/catalog.db"), "/tmp/project/.strata/catalog.db");
  // An '@' after the path is not userinfo.
  EXPECT_EQ(RedactUrl("https://host:8080/a@b"), "https://host:8080/a@b");
}

TEST(RedactTest, QueryParameters) {
  EXPECT_EQ(RedactUrl("postgresql://u@h/db?password=S3cret&sslmode=disable"),
            "postgresql://u@h/db?password=***&sslmode=disable");
  EXPECT_EQ(RedactUrl("postgresql://u@h/db?sslmode=disable&PASSWORD=S3cret"),
            "postgresql://u@h/db?sslmode=disable&PASSWORD=***");
  EXPECT_EQ(RedactUrl("x://h/?passwd=a&pwd=b&secret=c&token=d&access_token=e&sslpassword=f"),
            "x://h/?passwd=***&pwd=***&secret=***&token=***&access_token=***&sslpassword=***");
  // Keys that merely contain the words elsewhere, and other parameters, stay.
  EXPECT_EQ(RedactUrl("x://h/?password_hint=x&user=me&tokens_left=3"),
            "x://h/?password_hint=x&user=me&tokens_left=3");
  // Both at once.
  EXPECT_EQ(RedactUrl("postgresql://u:a@h/db?password=b"), "postgresql://u:***@h/db?password=***");
}

TEST(RedactTest, LibpqKeywordStrings) {
  EXPECT_EQ(RedactUrl("host=h port=5432 password=S3cret dbname=d"),
            "host=h port=5432 password=*** dbname=d");
  EXPECT_EQ(RedactUrl("host=h password = 'a b\\' c' user=u"), "host=h password = '***' user=u");
  EXPECT_EQ(RedactUrl("Server=h;Uid=u;Pwd=S3cret;"), "Server=h;Uid=u;Pwd=***;");
  // A key ending in a secret word is one; a key glued to other text is not a key.
  EXPECT_EQ(RedactUrl("db_password=1"), "db_password=***");
  EXPECT_EQ(RedactUrl("x+password=1"), "x+password=1");
}

TEST(RedactTest, InsideMessages) {
  std::string message =
      "catalog postgresql://u:S3cretPassw0rd@127.0.0.1:1/db: connection refused; retried "
      "\"postgresql://v:other@h/db?token=tok\" (url 'mysql://a:S3cretPassw0rd@m')";
  std::string redacted = RedactUrl(message);
  EXPECT_EQ(redacted.find(kPassword), std::string::npos) << redacted;
  EXPECT_EQ(redacted.find("other"), std::string::npos) << redacted;
  EXPECT_EQ(redacted.find("tok\""), std::string::npos) << redacted;
  EXPECT_NE(redacted.find("connection refused"), std::string::npos) << redacted;
  EXPECT_NE(redacted.find("postgresql://u:***@127.0.0.1:1/db"), std::string::npos) << redacted;
}

TEST(RedactTest, JsonStaysValid) {
  EXPECT_EQ(RedactUrl(R"({"url":"postgresql://u@h","mail":"a:b@c","k":"x://u:p@h"})"),
            R"({"url":"postgresql://u@h","mail":"a:b@c","k":"x://u:***@h"})");
  EXPECT_EQ(RedactUrl(R"({"e":"catalog x://h/?password=pw: refused"})"),
            R"({"e":"catalog x://h/?password=*** refused"})");
  EXPECT_EQ(RedactUrl(R"({"e":"password='pw","s":"it's"})"), R"({"e":"password='***","s":"it's"})");
}

TEST(RedactTest, IdempotentAndDetectsInlinePasswords) {
  std::string once = RedactUrl("postgresql://u:pw@h/db?password=x");
  EXPECT_EQ(RedactUrl(once), once);
  EXPECT_FALSE(HasInlinePassword(once));
  EXPECT_TRUE(HasInlinePassword("postgresql://u:pw@h/db"));
  EXPECT_TRUE(HasInlinePassword("postgresql://u@h/db?password=x"));
  EXPECT_FALSE(HasInlinePassword("postgresql://u@h/db"));
  EXPECT_FALSE(HasInlinePassword("postgresql://u@h/db?password="));
  EXPECT_FALSE(HasInlinePassword(""));
}

TEST(RedactTest, SecretsInListsWhatIsMasked) {
  EXPECT_EQ(SecretsIn("postgresql://u:pa%zzss@h/db?sslpassword=k&x=1"),
            (std::vector<std::string>{"pa%zzss", "k"}));
  EXPECT_EQ(SecretsIn("host=h password='a b'"), (std::vector<std::string>{"a b"}));
  EXPECT_TRUE(SecretsIn("postgresql://u@h/db").empty());
}

TEST(RedactTest, RedactValue) {
  EXPECT_EQ(RedactValue("invalid token \"S3cret%zz\" in S3cret", "S3cret"),
            "invalid token \"***%zz\" in ***");
  EXPECT_EQ(RedactValue("nothing here", ""), "nothing here");
  EXPECT_EQ(RedactValue("", "x"), "");
}

TEST(RedactTest, LogLinesAreRedacted) {
  ::testing::internal::CaptureStderr();
  Log().error("catalog postgresql://u:{}@h/db unreachable (password={} given)", kPassword,
              kPassword);
  Log().flush();
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find(kPassword), std::string::npos) << err;
  EXPECT_NE(err.find("postgresql://u:***@h/db unreachable (password=*** given)"), std::string::npos)
      << err;
}

}  // namespace
}  // namespace strata
