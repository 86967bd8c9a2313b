#include "common/secrets.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace strata {
namespace {

Result<std::string> SecretFromFile(const std::string& name, const std::string& file) {
  if (file.empty()) {
    return Status::NotFound("secret '" + name + "' is referenced but no secrets file is set");
  }
  struct stat st {};
  if (stat(file.c_str(), &st) != 0) {
    return Status::NotFound("secret '" + name + "': the secrets file " + file +
                            " does not exist (create it with mode 0600, a line " + name +
                            "=... in it)");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Status::FailedPrecondition("the secrets file " + file +
                                      " is accessible by group or others: chmod 600 it");
  }
  std::ifstream in(file);
  if (!in) return Status::IOError("cannot read the secrets file " + file);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq != std::string::npos && line.compare(0, eq, name) == 0 && eq == name.size()) {
      return line.substr(eq + 1);
    }
  }
  return Status::NotFound("secret '" + name + "' is not defined in " + file);
}

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

bool HasSecretReference(std::string_view text) {
  return text.find("${env:") != std::string_view::npos ||
         text.find("${secret:") != std::string_view::npos;
}

Result<std::string> ResolveSecrets(std::string_view text, const std::string& secrets_file) {
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    size_t close = text.find('}', i);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("unterminated reference '" + std::string(text.substr(i)) +
                                     "' (expected ${env:NAME} or ${secret:NAME})");
    }
    std::string_view ref = text.substr(i + 2, close - i - 2);
    size_t colon = ref.find(':');
    std::string_view kind = ref.substr(0, colon);
    std::string name(colon == std::string_view::npos ? "" : ref.substr(colon + 1));
    if ((kind != "env" && kind != "secret") || !ValidName(name)) {
      return Status::InvalidArgument("bad reference '${" + std::string(ref) +
                                     "}' (expected ${env:NAME} or ${secret:NAME})");
    }
    if (kind == "env") {
      const char* value = std::getenv(name.c_str());
      if (value == nullptr) {
        return Status::NotFound("environment variable " + name +
                                " is not set (referenced as ${env:" + name + "})");
      }
      out += value;
    } else {
      STRATA_ASSIGN_OR_RETURN(std::string value, SecretFromFile(name, secrets_file));
      out += value;
    }
    i = close + 1;
  }
  return out;
}

}  // namespace strata
