// Redaction of passwords in URLs, connection strings and any message that may quote them, so that
// no password reaches a log, an error, a run record, an API answer or a catalog table.
//
//   Status::IOError("catalog " + RedactUrl(url) + ": " + why);
//
// Contract:
//  - RedactUrl(text) returns `text` with every password replaced by "***"; everything else is
//    kept, so the result still says which server and user were meant. It scans any text (a
//    bare URL, a libpq keyword string, a sentence quoting either), and redacts:
//      * URL userinfo: `scheme://user:PASSWORD@host` -> `scheme://user:***@host`. The userinfo
//        ends at the last '@' before the first '/', '"' or whitespace after "://" (a password
//        with a raw '@' is still redacted whole; JSON around a URL stays valid);
//      * `KEY=VALUE` where KEY (case-insensitive) is or ends with password, passwd, pwd, secret
//        or token (so also sslpassword, client_secret, access_token) and follows the start, '?',
//        '&', ';', ',', '(', a quote or whitespace: URL query parameters and libpq keyword
//        strings (`host=h password='a b'`, spaces around '=' allowed). VALUE ends at '&', ';',
//        whitespace or a quote (not at ',' or ')', which a password may hold: redacting too
//        much is the safe side); a value in single quotes ends at its closing quote (backslash
//        escapes, as libpq reads them).
//    Text without any of these comes back unchanged. Redacting twice changes nothing more.
//  - HasInlinePassword(url) is true when RedactUrl would change `url` (a password is written in
//    it, not taken from PGPASSWORD, ~/.pgpass or a ${secret:NAME} reference).
//  - SecretsIn(text) returns the values RedactUrl masks, as written (for scrubbing messages of
//    libraries that echo a malformed part of a URL, e.g. libpq's "invalid percent-encoded token").
//  - RedactValue(text, secret) replaces every occurrence of `secret` by "***" (for messages of
//    libraries that may echo a password in other forms); an empty `secret` changes nothing.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace strata {

std::string RedactUrl(std::string_view text);

bool HasInlinePassword(std::string_view url);

std::vector<std::string> SecretsIn(std::string_view text);

std::string RedactValue(std::string_view text, std::string_view secret);

}  // namespace strata
