// The cryptography of access control, over OpenSSL's libcrypto: SCRAM-SHA-256 verifiers in
// PostgreSQL's text form, SHA-256 digests of tokens and session ids, random secrets and
// constant-time comparison. Internal to the access layer.
//
// Errors: Internal when libcrypto fails (no entropy, allocation), Corruption for a stored
// verifier that does not parse. No message holds a password or key material.
// Thread safety: pure functions; libcrypto is thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "access/access.h"
#include "common/result.h"

namespace strata::access::crypto {

// `count` bytes from the OS's CSPRNG (RAND_bytes).
Result<std::string> RandomBytes(size_t count);
// Lower-case hex of `count` random bytes.
Result<std::string> RandomHex(size_t count);
// `length` random characters of [A-Za-z0-9] (unbiased), for generated passwords.
Result<std::string> RandomAlphanumeric(size_t length);

std::string Sha256(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);
std::string Hex(std::string_view bytes);
std::string Base64(std::string_view bytes);
// Strict: padding required, no whitespace; nullopt for anything else.
std::optional<std::string> Base64Decode(std::string_view text);
// Equal length and equal bytes, in time that depends only on the length (CRYPTO_memcmp).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// SaltedPassword = PBKDF2-HMAC-SHA256(password, salt, iterations); StoredKey =
// SHA256(HMAC(SaltedPassword, "Client Key")); ServerKey = HMAC(SaltedPassword, "Server Key").
Result<ScramVerifier> MakeScramVerifier(std::string_view password, std::string_view salt,
                                        int iterations);
// "SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>".
std::string FormatScramVerifier(const ScramVerifier& verifier);
Result<ScramVerifier> ParseScramVerifier(std::string_view text);
// Recomputes the verifier of `password` with `verifier`'s salt and iterations and compares the
// keys in constant time.
Result<bool> ScramPasswordMatches(const ScramVerifier& verifier, std::string_view password);

}  // namespace strata::access::crypto
