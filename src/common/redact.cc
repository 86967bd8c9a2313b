#include "common/redact.h"

#include <array>
#include <string>
#include <vector>

namespace strata {
namespace {

constexpr std::string_view kMask = "***";

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsSecretKey(std::string_view key) {
  static constexpr std::array<std::string_view, 5> kWords = {"password", "passwd", "pwd", "secret",
                                                             "token"};
  std::string lower;
  for (char c : key) lower += Lower(c);
  for (std::string_view word : kWords) {
    if (lower.size() >= word.size() && lower.ends_with(word)) return true;
  }
  return false;
}

// scheme://user:PASSWORD@host -> scheme://user:***@host, for every "://" in `text`; each
// PASSWORD is added to `found` when not null.
std::string RedactUserinfo(std::string_view text, std::vector<std::string>* found) {
  std::string out;
  size_t copied = 0;
  size_t scheme = text.find("://");
  while (scheme != std::string_view::npos) {
    size_t start = scheme + 3;
    size_t end = start;
    size_t at = std::string_view::npos;
    // libpq ends the userinfo at the first '/'; a raw '@' in a password moves the last '@'.
    // A '"' ends it too, so a URL inside a JSON string never reaches into the next field.
    while (end < text.size() && text[end] != '/' && text[end] != '"' && !IsSpace(text[end])) {
      if (text[end] == '@') at = end;
      ++end;
    }
    if (at != std::string_view::npos) {
      size_t colon = text.find(':', start);
      if (colon < at && text.substr(colon + 1, at - colon - 1) != kMask) {
        if (found != nullptr) found->emplace_back(text.substr(colon + 1, at - colon - 1));
        out.append(text.substr(copied, colon + 1 - copied));
        out.append(kMask);
        copied = at;
      }
    }
    scheme = text.find("://", end);
  }
  out.append(text.substr(copied));
  return out;
}

bool IsKeyBoundary(char c) {
  return IsSpace(c) || c == '?' || c == '&' || c == ';' || c == ',' || c == '(' || c == '"' ||
         c == '\'';
}

bool EndsValue(char c) { return IsSpace(c) || c == '&' || c == ';' || c == '"' || c == '\''; }

// Where the value starting at `start` ends (one past it); a quoted value's quotes stay outside.
void FindValue(std::string_view text, size_t start, size_t* begin, size_t* end) {
  if (start < text.size() && text[start] == '\'') {
    size_t i = start + 1;
    // A '"' ends it too (JSON around the value stays valid).
    while (i < text.size() && text[i] != '\'' && text[i] != '"') i += text[i] == '\\' ? 2 : 1;
    *begin = start + 1;
    *end = std::min(i, text.size());
    return;
  }
  size_t i = start;
  while (i < text.size() && !EndsValue(text[i])) ++i;
  *begin = start;
  *end = i;
}

// KEY=VALUE with a secret-looking KEY -> KEY=***; each VALUE is added to `found` when not null.
std::string RedactKeywords(std::string_view text, std::vector<std::string>* found) {
  std::string out;
  size_t copied = 0;
  for (size_t eq = text.find('='); eq != std::string_view::npos; eq = text.find('=', eq + 1)) {
    if (eq < copied) continue;
    size_t key_end = eq;
    while (key_end > copied && text[key_end - 1] == ' ') --key_end;
    size_t key_start = key_end;
    while (key_start > copied && IsKeyChar(text[key_start - 1])) --key_start;
    if (key_start == key_end || !IsSecretKey(text.substr(key_start, key_end - key_start))) {
      continue;
    }
    if (key_start > 0 && !IsKeyBoundary(text[key_start - 1])) continue;
    size_t value = eq + 1;
    while (value < text.size() && text[value] == ' ') ++value;
    size_t begin = 0;
    size_t end = 0;
    FindValue(text, value, &begin, &end);
    if (begin == end || text.substr(begin, end - begin) == kMask) continue;
    if (found != nullptr) found->emplace_back(text.substr(begin, end - begin));
    out.append(text.substr(copied, begin - copied));
    out.append(kMask);
    copied = end;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace

std::string RedactUrl(std::string_view text) {
  return RedactKeywords(RedactUserinfo(text, nullptr), nullptr);
}

std::vector<std::string> SecretsIn(std::string_view text) {
  std::vector<std::string> found;
  RedactKeywords(RedactUserinfo(text, &found), &found);
  return found;
}

bool HasInlinePassword(std::string_view url) { return RedactUrl(url) != url; }

std::string RedactValue(std::string_view text, std::string_view secret) {
  if (secret.empty()) return std::string(text);
  std::string out;
  size_t copied = 0;
  for (size_t hit = text.find(secret); hit != std::string_view::npos;
       hit = text.find(secret, hit + secret.size())) {
    out.append(text.substr(copied, hit - copied));
    out.append(kMask);
    copied = hit + secret.size();
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace strata
