// The SCRAM-SHA-256 verifier against RFC 7677's exchange, and the encodings around it.
#include "access/crypto.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

namespace strata::access::crypto {
namespace {

// RFC 7677 section 3: user "user", password "pencil".
constexpr const char* kSalt = "W22ZaJ0SNY7soEsUEjb6gQ==";
constexpr const char* kAuthMessage =
    "n=user,r=rOprNGfwEbeRWgbNEkqO,"
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr const char* kClientProof = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr const char* kServerSignature = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

TEST(ScramTest, VerifierCompletesTheRfc7677Exchange) {
  auto verifier = MakeScramVerifier("pencil", *Base64Decode(kSalt), 4096);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  // The server proves itself with ServerKey...
  EXPECT_EQ(Base64(HmacSha256(verifier->server_key, kAuthMessage)), kServerSignature);
  // ...and checks the client's proof with StoredKey alone: ClientKey = proof XOR signature.
  std::string proof = *Base64Decode(kClientProof);
  std::string signature = HmacSha256(verifier->stored_key, kAuthMessage);
  ASSERT_EQ(proof.size(), signature.size());
  std::string client_key(proof.size(), '\0');
  for (size_t i = 0; i < proof.size(); ++i) client_key[i] = proof[i] ^ signature[i];
  EXPECT_EQ(Sha256(client_key), verifier->stored_key);
  // A different password gives different keys.
  auto other = MakeScramVerifier("pencil2", *Base64Decode(kSalt), 4096);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->stored_key, verifier->stored_key);
}

TEST(ScramTest, TextFormIsPostgresqlsAndRoundTrips) {
  auto verifier = MakeScramVerifier("pencil", *Base64Decode(kSalt), 4096);
  ASSERT_TRUE(verifier.ok());
  std::string text = FormatScramVerifier(*verifier);
  EXPECT_EQ(text,
            "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$"
            "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:"
            "wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=");
  auto parsed = ParseScramVerifier(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->iterations, 4096);
  EXPECT_EQ(parsed->salt, verifier->salt);
  EXPECT_EQ(parsed->stored_key, verifier->stored_key);
  EXPECT_EQ(parsed->server_key, verifier->server_key);
  EXPECT_TRUE(*ScramPasswordMatches(*parsed, "pencil"));
  EXPECT_FALSE(*ScramPasswordMatches(*parsed, "pencil "));
  EXPECT_FALSE(*ScramPasswordMatches(*parsed, ""));
}

TEST(ScramTest, MalformedVerifiersAreCorruptionWithoutTheirText) {
  for (const char* text :
       {"", "md5abcdef", "SCRAM-SHA-256$", "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==",
        "SCRAM-SHA-256$x:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAA",
        "SCRAM-SHA-256$0:W22ZaJ0SNY7soEsUEjb6gQ==$"
        "WG5d8oPm3OtcPnkdi4Uo7BkeZkBFzpcXkuLmtbsT4qY=:wfPLwcE6nTWhTAmQ7tl2KeoiWGPlZqQxSrmfPwDl2dU=",
        "SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$AAAA:AAAA"}) {
    auto parsed = ParseScramVerifier(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), StatusCode::kCorruption);
    EXPECT_EQ(parsed.status().message().find("W22Z"), std::string::npos);
  }
}

TEST(EncodingTest, Base64IsStrict) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(*Base64Decode("Zg=="), "f");
  EXPECT_EQ(*Base64Decode("Zm8="), "fo");
  EXPECT_EQ(*Base64Decode("Zm9v"), "foo");
  EXPECT_FALSE(Base64Decode("Zg=").has_value());
  EXPECT_FALSE(Base64Decode("Zm9v\n").has_value());
  EXPECT_FALSE(Base64Decode("Zm-v").has_value());
  EXPECT_EQ(Hex("\x01\xab"), "01ab");
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
}

TEST(RandomTest, SecretsAreFreshAndOfTheirAlphabet) {
  auto a = RandomHex(32);
  auto b = RandomHex(32);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->size(), 64u);
  EXPECT_NE(*a, *b);
  auto password = RandomAlphanumeric(20);
  ASSERT_TRUE(password.ok());
  EXPECT_EQ(password->size(), 20u);
  for (char c : *password) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << c;
}

}  // namespace
}  // namespace strata::access::crypto
