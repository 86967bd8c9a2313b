#include "catalog/text.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <set>

namespace strata::catalog {
namespace {

using std::literals::string_view_literals::operator""sv;

// Base letters of U+00C0..U+00FF (Latin-1 Supplement), lower case. '\0' marks × and ÷,
// which are not letters and pass through; Æ, Þ and ß are expanded separately.
constexpr std::string_view kLatin1 =
    "aaaaaaaceeeeiiiidnooooo\0ouuuuyts"     // U+00C0..U+00DF
    "aaaaaaaceeeeiiiidnooooo\0ouuuuyty"sv;  // U+00E0..U+00FF
static_assert(kLatin1.size() == 64);
// Base letters of U+0100..U+017F (Latin Extended-A), in code point order.
constexpr std::string_view kExtendedA =
    "aaaaaa"
    "cccccccc"
    "dddd"
    "eeeeeeeeee"
    "gggggggg"
    "hhhh"
    "iiiiiiiiii"
    "ii"
    "jj"
    "kkk"
    "llllllllll"
    "nnnnnnnnn"
    "oooooo"
    "oo"
    "rrrrrr"
    "ssssssss"
    "tttttt"
    "uuuuuuuuuuuu"
    "ww"
    "yyy"
    "zzzzzz"
    "s"sv;
static_assert(kExtendedA.size() == 128);

// Decodes one code point at `i` and advances past it; false (and advanced) on invalid bytes.
bool DecodeUtf8(std::string_view text, size_t& i, uint32_t& cp) {
  auto b = static_cast<unsigned char>(text[i]);
  int extra = 0;
  if (b < 0x80) {
    cp = b;
    ++i;
    return true;
  } else if ((b >> 5) == 0x6) {
    extra = 1;
    cp = b & 0x1f;
  } else if ((b >> 4) == 0xe) {
    extra = 2;
    cp = b & 0x0f;
  } else if ((b >> 3) == 0x1e) {
    extra = 3;
    cp = b & 0x07;
  } else {
    ++i;
    return false;
  }
  if (i + extra >= text.size()) {
    i = text.size();
    return false;
  }
  for (int k = 1; k <= extra; ++k) {
    auto c = static_cast<unsigned char>(text[i + k]);
    if ((c & 0xc0) != 0x80) {
      i += k;
      return false;
    }
    cp = (cp << 6) | (c & 0x3f);
  }
  i += extra + 1;
  return true;
}

void AppendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

bool IsWordByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || static_cast<unsigned char>(c) >= 0x80;
}

}  // namespace

std::string FoldText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    if (!DecodeUtf8(text, i, cp)) continue;
    if (cp < 0x80) {
      out += static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    } else if (cp == 0xc6 || cp == 0xe6) {
      out += "ae";
    } else if (cp == 0xdf) {
      out += "ss";
    } else if (cp == 0xde || cp == 0xfe) {
      out += "th";
    } else if (cp == 0x152 || cp == 0x153) {
      out += "oe";
    } else if (cp >= 0xc0 && cp <= 0xff && kLatin1[cp - 0xc0] != '\0') {
      out += kLatin1[cp - 0xc0];
    } else if (cp >= 0x100 && cp <= 0x17f) {
      out += kExtendedA[cp - 0x100];
    } else {
      AppendUtf8(cp, out);
    }
  }
  return out;
}

std::vector<std::string> Words(std::string_view text) {
  std::string folded = FoldText(text);
  std::vector<std::string> words;
  std::string current;
  for (char c : folded) {
    if (IsWordByte(c)) {
      current += c;
    } else if (!current.empty()) {
      words.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

std::vector<std::string> SearchTerms(std::string_view text) {
  static const std::set<std::string, std::less<>> kStopWords = {
      "a",   "o",  "e",   "as",  "os", "de",  "da",  "do",   "das", "dos", "em",
      "no",  "na", "nos", "nas", "um", "uma", "por", "para", "com", "the", "of",
      "and", "or", "in",  "on",  "to", "for", "an",  "by",   "with"};
  std::vector<std::string> words = Words(text);
  std::vector<std::string> terms;
  for (const std::string& w : words) {
    if (!kStopWords.contains(w)) terms.push_back(w);
  }
  return terms.empty() ? words : terms;
}

}  // namespace strata::catalog
