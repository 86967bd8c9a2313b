#include "access/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <optional>
#include <string>

#include "common/numbers.h"

namespace strata::access::crypto {

namespace {
constexpr std::string_view kScramPrefix = "SCRAM-SHA-256$";
}  // namespace

Result<std::string> RandomBytes(size_t count) {
  std::string bytes(count, '\0');
  if (count > 0 &&
      RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
    return Status::Internal("the system's random number generator failed (RAND_bytes)");
  }
  return bytes;
}

Result<std::string> RandomHex(size_t count) {
  STRATA_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(count));
  return Hex(bytes);
}

Result<std::string> RandomAlphanumeric(size_t length) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  while (out.size() < length) {
    STRATA_ASSIGN_OR_RETURN(std::string bytes, RandomBytes(length));
    for (unsigned char b : bytes) {
      // 248 = 4 * 62: rejecting the bytes above keeps every character equally likely.
      if (b < 248 && out.size() < length) out += kAlphabet[b % kAlphabet.size()];
    }
  }
  return out;
}

std::string Sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::string Base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()),
                          static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=';
    if (!ok) return std::nullopt;
  }
  std::string out(text.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  size_t padding = 0;
  if (!text.empty() && text.back() == '=') padding++;
  if (text.size() > 1 && text[text.size() - 2] == '=') padding++;
  out.resize(static_cast<size_t>(n) - padding);
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Result<ScramVerifier> MakeScramVerifier(std::string_view password, std::string_view salt,
                                        int iterations) {
  unsigned char salted[SHA256_DIGEST_LENGTH];
  if (iterations < 1 || PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                                          reinterpret_cast<const unsigned char*>(salt.data()),
                                          static_cast<int>(salt.size()), iterations, EVP_sha256(),
                                          sizeof salted, salted) != 1) {
    return Status::Internal("PBKDF2-HMAC-SHA256 failed");
  }
  std::string_view salted_password(reinterpret_cast<const char*>(salted), sizeof salted);
  ScramVerifier verifier;
  verifier.iterations = iterations;
  verifier.salt = std::string(salt);
  verifier.stored_key = Sha256(HmacSha256(salted_password, "Client Key"));
  verifier.server_key = HmacSha256(salted_password, "Server Key");
  OPENSSL_cleanse(salted, sizeof salted);
  return verifier;
}

std::string FormatScramVerifier(const ScramVerifier& verifier) {
  return std::string(kScramPrefix) + std::to_string(verifier.iterations) + ":" +
         Base64(verifier.salt) + "$" + Base64(verifier.stored_key) + ":" +
         Base64(verifier.server_key);
}

Result<ScramVerifier> ParseScramVerifier(std::string_view text) {
  // The message names the shape only: the text itself is secret-equivalent.
  const Status bad = Status::Corruption("a stored password verifier is not SCRAM-SHA-256");
  if (text.substr(0, kScramPrefix.size()) != kScramPrefix) return bad;
  text.remove_prefix(kScramPrefix.size());
  size_t dollar = text.find('$');
  if (dollar == std::string_view::npos) return bad;
  std::string_view params = text.substr(0, dollar);
  std::string_view keys = text.substr(dollar + 1);
  size_t colon1 = params.find(':');
  size_t colon2 = keys.find(':');
  if (colon1 == std::string_view::npos || colon2 == std::string_view::npos) return bad;
  std::optional<int> iterations = ParseInteger<int>(params.substr(0, colon1));
  std::optional<std::string> salt = Base64Decode(params.substr(colon1 + 1));
  std::optional<std::string> stored = Base64Decode(keys.substr(0, colon2));
  std::optional<std::string> server = Base64Decode(keys.substr(colon2 + 1));
  if (!iterations || *iterations < 1 || !salt || salt->empty() || !stored ||
      stored->size() != SHA256_DIGEST_LENGTH || !server || server->size() != SHA256_DIGEST_LENGTH) {
    return bad;
  }
  return ScramVerifier{*iterations, std::move(*salt), std::move(*stored), std::move(*server)};
}

Result<bool> ScramPasswordMatches(const ScramVerifier& verifier, std::string_view password) {
  STRATA_ASSIGN_OR_RETURN(ScramVerifier computed,
                          MakeScramVerifier(password, verifier.salt, verifier.iterations));
  // Both keys, and no early exit: the time does not say which one differed.
  bool stored_ok = ConstantTimeEquals(computed.stored_key, verifier.stored_key);
  bool server_ok = ConstantTimeEquals(computed.server_key, verifier.server_key);
  return stored_ok & server_ok;
}

}  // namespace strata::access::crypto
