// UTF-8 repair for text that comes from outside (file contents in error messages, file names):
// JSON writers and the catalog need valid UTF-8, and such text is only shown, never parsed.
#pragma once

#include <string>
#include <string_view>

namespace strata {

// `text` with every byte that does not start or continue a well-formed UTF-8 sequence (a stray
// continuation byte, an overlong form, a surrogate, a code point above U+10FFFF, a sequence cut
// short) replaced by U+FFFD. Valid text comes back unchanged.
std::string ToValidUtf8(std::string_view text);

// The offset of the first byte of `text` that is not well-formed UTF-8 (as above), or npos.
// Parsers of user text refuse such text: JSON writers throw on it later.
size_t FindInvalidUtf8(std::string_view text);

}  // namespace strata
