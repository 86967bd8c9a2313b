#include "orchestrator/intrinsics.h"

#include <openssl/evp.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>

#include "common/utf8.h"
#include "orchestrator/nesting.h"

namespace strata::orchestrator {

struct IntrinsicCall::Node {
  enum class Kind { kLiteral, kPath, kCall };
  Kind kind = Kind::kLiteral;
  Json literal;
  std::string raw;  // string literals: the text between the quotes, escapes kept (for Format)
  JsonPath path;
  std::string function;  // "Format", "Array", ...
  std::vector<std::shared_ptr<const Node>> args;
};

namespace {

using Node = IntrinsicCall::Node;
using NodePtr = std::shared_ptr<const Node>;

// Literal-argument types a function accepts at each position; kAny accepts everything.
enum ArgType : unsigned { kStr = 1, kNum = 2, kBool = 4, kNull = 8, kAny = 15 };
struct Signature {
  size_t min_args;
  size_t max_args;              // SIZE_MAX for variadic
  std::vector<unsigned> types;  // per position; the last entry repeats
};

const std::map<std::string, Signature, std::less<>>& Signatures() {
  static const auto* sigs = new std::map<std::string, Signature, std::less<>>{
      {"Format", {1, SIZE_MAX, {kStr, kAny}}},
      {"StringToJson", {1, 1, {kStr}}},
      {"JsonToString", {1, 1, {kAny}}},
      {"Array", {0, SIZE_MAX, {kAny}}},
      {"ArrayPartition", {2, 2, {0, kNum}}},
      {"ArrayContains", {2, 2, {0, kAny}}},
      {"ArrayRange", {3, 3, {kNum}}},
      {"ArrayGetItem", {2, 2, {0, kNum}}},
      {"ArrayLength", {1, 1, {0}}},
      {"ArrayUnique", {1, 1, {0}}},
      {"Base64Encode", {1, 1, {kStr}}},
      {"Base64Decode", {1, 1, {kStr}}},
      {"Hash", {2, 2, {kAny, kStr}}},
      {"JsonMerge", {3, 3, {0, 0, kBool}}},
      {"MathRandom", {2, 3, {kNum}}},
      {"MathAdd", {2, 2, {kNum}}},
      {"StringSplit", {2, 2, {kStr}}},
      {"UUID", {0, 0, {}}},
  };
  return *sigs;
}

unsigned TypeOf(const Json& v) {
  if (v.is_string()) return kStr;
  if (v.is_number()) return kNum;
  if (v.is_boolean()) return kBool;
  if (v.is_null()) return kNull;
  return 0;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Status Error(std::string_view what) const {
    return Status::InvalidArgument("invalid intrinsic function '" + std::string(s_) + "': " +
                                   std::string(what) + " at offset " + std::to_string(pos_));
  }
  void Skip() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool AtEnd() const { return pos_ >= s_.size(); }

  Result<NodePtr> ParseCall() {
    NestingGuard guard(depth_);
    if (guard.too_deep()) return Error("calls nested too deeply");
    Skip();
    if (s_.substr(pos_, 7) != "States.") return Error("expected 'States.'");
    pos_ += 7;
    size_t start = pos_;
    while (pos_ < s_.size() && std::isalnum(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    auto node = std::make_shared<Node>();
    node->kind = Node::Kind::kCall;
    node->function = std::string(s_.substr(start, pos_ - start));
    auto sig = Signatures().find(node->function);
    if (sig == Signatures().end()) return Error("unknown function 'States." + node->function + "'");
    Skip();
    if (pos_ >= s_.size() || s_[pos_] != '(') return Error("expected '('");
    ++pos_;
    Skip();
    if (pos_ < s_.size() && s_[pos_] == ')') {
      ++pos_;
    } else {
      while (true) {
        STRATA_ASSIGN_OR_RETURN(NodePtr arg, ParseArg());
        node->args.push_back(std::move(arg));
        Skip();
        if (pos_ < s_.size() && s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < s_.size() && s_[pos_] == ')') {
          ++pos_;
          break;
        }
        return Error("expected ',' or ')'");
      }
    }
    const Signature& sg = sig->second;
    if (node->args.size() < sg.min_args || node->args.size() > sg.max_args) {
      return Error("States." + node->function + " takes " + std::to_string(sg.min_args) +
                   (sg.max_args == sg.min_args ? "" : "+") + " arguments, got " +
                   std::to_string(node->args.size()));
    }
    for (size_t i = 0; i < node->args.size(); ++i) {
      if (node->args[i]->kind != Node::Kind::kLiteral) continue;
      unsigned allowed = sg.types.empty() ? kAny : sg.types[std::min(i, sg.types.size() - 1)];
      if ((TypeOf(node->args[i]->literal) & allowed) == 0) {
        return Error("argument " + std::to_string(i + 1) + " of States." + node->function +
                     " has the wrong type");
      }
    }
    return NodePtr(node);
  }

  Result<NodePtr> ParseArg() {
    Skip();
    if (AtEnd()) return Error("expected an argument");
    auto node = std::make_shared<Node>();
    char c = s_[pos_];
    if (c == '\'') {
      ++pos_;
      std::string raw, value;
      while (pos_ < s_.size() && s_[pos_] != '\'') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) {
          raw += s_[pos_];
          ++pos_;
          char e = s_[pos_];
          value += e == 'n' ? '\n' : e;
          raw += e;
        } else {
          raw += s_[pos_];
          value += s_[pos_];
        }
        ++pos_;
      }
      if (AtEnd()) return Error("unterminated string literal");
      ++pos_;
      node->literal = std::move(value);
      node->raw = std::move(raw);
      return NodePtr(node);
    }
    if (c == '$') {
      // A path runs to the next ',' or ')' outside brackets, parentheses and quotes.
      size_t start = pos_;
      int depth = 0;
      char quote = 0;
      while (pos_ < s_.size()) {
        char ch = s_[pos_];
        if (quote) {
          if (ch == quote) quote = 0;
        } else if (ch == '\'' || ch == '"') {
          quote = ch;
        } else if (ch == '[' || ch == '(') {
          ++depth;
        } else if (ch == ']' || (ch == ')' && depth > 0)) {
          --depth;
        } else if (depth == 0 && (ch == ',' || ch == ')')) {
          break;
        }
        ++pos_;
      }
      std::string_view text = s_.substr(start, pos_ - start);
      while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
      }
      auto path = JsonPath::Parse(text);
      if (!path.ok()) return path.status();
      node->kind = Node::Kind::kPath;
      node->path = std::move(path).value();
      return NodePtr(node);
    }
    if (s_.substr(pos_, 7) == "States.") return ParseCall();
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != ',' && s_[pos_] != ')') ++pos_;
    std::string word(s_.substr(start, pos_ - start));
    while (!word.empty() && std::isspace(static_cast<unsigned char>(word.back()))) word.pop_back();
    if (word == "true" || word == "false" || word == "null" || !word.empty()) {
      try {
        node->literal = Json::parse(word);
        if (node->literal.is_structured() || node->literal.is_string()) throw std::exception();
      } catch (const std::exception&) {
        return Error("unexpected argument '" + word + "'");
      }
      return NodePtr(node);
    }
    return Error("expected an argument");
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
  int depth_ = 0;  // NestingGuard
};

Status Fail(std::string_view fn, const std::string& why) {
  return Status::InvalidArgument("States." + std::string(fn) + ": " + why);
}

Result<std::string> DoFormat(const Node& call, const std::vector<Json>& args) {
  const Node& fmt = *call.args[0];
  if (fmt.kind != Node::Kind::kLiteral && !args[0].is_string()) {
    return Fail("Format", "the format must be a string");
  }
  // Literals keep their escapes in `raw`; values from paths have none to honour.
  std::string raw = fmt.kind == Node::Kind::kLiteral ? fmt.raw : args[0].get<std::string>();
  std::string out;
  size_t next = 1;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size() && fmt.kind == Node::Kind::kLiteral) {
      out += raw[++i] == 'n' ? '\n' : raw[i];
    } else if (c == '{' && i + 1 < raw.size() && raw[i + 1] == '}') {
      if (next >= args.size()) return Fail("Format", "more placeholders than arguments");
      out += FormatArgument(args[next++]);
      ++i;
    } else {
      out += c;
    }
  }
  if (next != args.size()) return Fail("Format", "more arguments than placeholders");
  return out;
}

Result<std::string> Digest(const std::string& data, const std::string& algorithm) {
  const EVP_MD* md = nullptr;
  if (algorithm == "MD5") md = EVP_md5();
  if (algorithm == "SHA-1") md = EVP_sha1();
  if (algorithm == "SHA-256") md = EVP_sha256();
  if (algorithm == "SHA-384") md = EVP_sha384();
  if (algorithm == "SHA-512") md = EVP_sha512();
  if (md == nullptr) {
    return Fail("Hash", "unsupported algorithm '" + algorithm +
                            "' (MD5, SHA-1, SHA-256, SHA-384, SHA-512)");
  }
  unsigned char buf[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), buf, &len, md, nullptr) != 1) {
    return Fail("Hash", "digest failed");
  }
  std::string hex;
  char tmp[3];
  for (unsigned i = 0; i < len; ++i) {
    std::snprintf(tmp, sizeof(tmp), "%02x", buf[i]);
    hex += tmp;
  }
  return hex;
}

std::string Base64Encode(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Result<std::string> Base64Decode(const std::string& in) {
  if (in.size() % 4 != 0) return Fail("Base64Decode", "input is not valid base64");
  std::string out(in.size() / 4 * 3 + 1, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) return Fail("Base64Decode", "input is not valid base64");
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

// A whole number within int64: a JSON integer, or a double without a fraction (1.0, 1e3).
Result<int64_t> ToInt64(std::string_view fn, const Json& v, const char* what) {
  if (v.is_number_unsigned()) {
    if (v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return Fail(fn, std::string(what) + " is out of range");
    }
    return static_cast<int64_t>(v.get<uint64_t>());
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  const double d = v.get<double>();
  // -2^63 <= d < 2^63 (NaN fails both); converting anything outside is undefined behaviour.
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
    return Fail(fn, std::string(what) + " is out of range");
  }
  return static_cast<int64_t>(d);
}

// Java's Math.round: half-up towards positive infinity.
Result<int64_t> RoundHalfUp(std::string_view fn, const Json& v) {
  if (v.is_number_integer()) return ToInt64(fn, v, "the argument");
  return ToInt64(fn, Json(std::floor(v.get<double>() + 0.5)), "the argument");
}

Result<int64_t> RequireInt(std::string_view fn, const Json& v, const char* what) {
  if (!v.is_number()) return Fail(fn, std::string(what) + " must be a number");
  if (!v.is_number_integer() && std::floor(v.get<double>()) != v.get<double>()) {
    return Fail(fn, std::string(what) + " must be an integer");
  }
  return ToInt64(fn, v, what);
}

Result<Json> Call(const Node& call, const std::vector<Json>& a, const IntrinsicEnv& env) {
  const std::string& fn = call.function;
  auto need_array = [&](size_t i) -> Status {
    if (!a[i].is_array())
      return Fail(fn, "argument " + std::to_string(i + 1) + " must be an array");
    return Status::OK();
  };
  auto need_string = [&](size_t i) -> Status {
    if (!a[i].is_string())
      return Fail(fn, "argument " + std::to_string(i + 1) + " must be a string");
    return Status::OK();
  };
  if (fn == "Format") {
    STRATA_ASSIGN_OR_RETURN(std::string s, DoFormat(call, a));
    return Json(std::move(s));
  }
  if (fn == "StringToJson") {
    STRATA_RETURN_IF_ERROR(need_string(0));
    const std::string& s = a[0].get_ref<const std::string&>();
    if (s.find_first_not_of(" \t\r\n") == std::string::npos) return Json(nullptr);
    Json parsed = Json::parse(s, nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) return Fail(fn, "the argument is not valid JSON");
    return parsed;
  }
  if (fn == "JsonToString") return Json(a[0].dump());
  if (fn == "Array") return Json(a);
  if (fn == "ArrayPartition") {
    STRATA_RETURN_IF_ERROR(need_array(0));
    STRATA_ASSIGN_OR_RETURN(int64_t size, RequireInt(fn, a[1], "the chunk size"));
    if (size <= 0) return Fail(fn, "the chunk size must be positive");
    Json out = Json::array();
    for (size_t i = 0; i < a[0].size(); i += static_cast<size_t>(size)) {
      Json chunk = Json::array();
      for (size_t j = i; j < std::min(a[0].size(), i + static_cast<size_t>(size)); ++j) {
        chunk.push_back(a[0][j]);
      }
      out.push_back(std::move(chunk));
    }
    return out;
  }
  if (fn == "ArrayContains") {
    STRATA_RETURN_IF_ERROR(need_array(0));
    for (const Json& v : a[0]) {
      if (v == a[1]) return Json(true);
    }
    return Json(false);
  }
  if (fn == "ArrayRange") {
    STRATA_ASSIGN_OR_RETURN(int64_t start, RequireInt(fn, a[0], "each argument"));
    STRATA_ASSIGN_OR_RETURN(int64_t end, RequireInt(fn, a[1], "each argument"));
    STRATA_ASSIGN_OR_RETURN(int64_t step, RequireInt(fn, a[2], "each argument"));
    if (step == 0) return Fail(fn, "the step must not be 0");
    Json out = Json::array();
    for (int64_t v = start; step > 0 ? v <= end : v >= end;) {
      if (out.size() >= 1000) return Fail(fn, "the range has more than 1000 items");
      out.push_back(v);
      if (__builtin_add_overflow(v, step, &v)) break;  // the next value is past int64's end
    }
    return out;
  }
  if (fn == "ArrayGetItem") {
    STRATA_RETURN_IF_ERROR(need_array(0));
    STRATA_ASSIGN_OR_RETURN(int64_t i, RequireInt(fn, a[1], "the index"));
    if (i < 0 || i >= static_cast<int64_t>(a[0].size())) return Fail(fn, "index out of bounds");
    return a[0][static_cast<size_t>(i)];
  }
  if (fn == "ArrayLength") {
    STRATA_RETURN_IF_ERROR(need_array(0));
    return Json(a[0].size());
  }
  if (fn == "ArrayUnique") {
    STRATA_RETURN_IF_ERROR(need_array(0));
    Json out = Json::array();
    for (const Json& v : a[0]) {
      bool seen = false;
      for (const Json& u : out) seen = seen || u == v;
      if (!seen) out.push_back(v);
    }
    return out;
  }
  if (fn == "Base64Encode") {
    STRATA_RETURN_IF_ERROR(need_string(0));
    if (a[0].get_ref<const std::string&>().size() > 10000) return Fail(fn, "input too long");
    return Json(Base64Encode(a[0].get<std::string>()));
  }
  if (fn == "Base64Decode") {
    STRATA_RETURN_IF_ERROR(need_string(0));
    STRATA_ASSIGN_OR_RETURN(std::string s, Base64Decode(a[0].get<std::string>()));
    if (FindInvalidUtf8(s) != std::string::npos) return Fail(fn, "the decoded bytes are not text");
    return Json(std::move(s));
  }
  if (fn == "Hash") {
    STRATA_RETURN_IF_ERROR(need_string(1));
    std::string data = a[0].is_string() ? a[0].get<std::string>() : a[0].dump();
    STRATA_ASSIGN_OR_RETURN(std::string hex, Digest(data, a[1].get<std::string>()));
    return Json(std::move(hex));
  }
  if (fn == "JsonMerge") {
    if (!a[0].is_object() || !a[1].is_object()) return Fail(fn, "both arguments must be objects");
    if (!a[2].is_boolean()) return Fail(fn, "the third argument must be a boolean");
    Json out = a[0];
    if (a[2].get<bool>()) {
      out.merge_patch(a[1]);
    } else {
      for (auto it = a[1].begin(); it != a[1].end(); ++it) out[it.key()] = it.value();
    }
    return out;
  }
  if (fn == "MathRandom") {
    STRATA_ASSIGN_OR_RETURN(int64_t lo, RequireInt(fn, a[0], "the start"));
    STRATA_ASSIGN_OR_RETURN(int64_t hi, RequireInt(fn, a[1], "the end"));
    if (hi <= lo) return Fail(fn, "the end must be greater than the start");
    return Json(env.random(lo, hi));
  }
  if (fn == "MathAdd") {
    if (!a[0].is_number() || !a[1].is_number()) return Fail(fn, "arguments must be numbers");
    STRATA_ASSIGN_OR_RETURN(int64_t x, RoundHalfUp(fn, a[0]));
    STRATA_ASSIGN_OR_RETURN(int64_t y, RoundHalfUp(fn, a[1]));
    int64_t sum = 0;
    if (__builtin_add_overflow(x, y, &sum)) return Fail(fn, "the sum is out of range");
    return Json(sum);
  }
  if (fn == "StringSplit") {
    STRATA_RETURN_IF_ERROR(need_string(0));
    STRATA_RETURN_IF_ERROR(need_string(1));
    const std::string& s = a[0].get_ref<const std::string&>();
    const std::string& delims = a[1].get_ref<const std::string&>();
    Json out = Json::array();
    std::string token;
    for (char c : s) {
      if (delims.find(c) != std::string::npos) {
        if (!token.empty()) out.push_back(std::move(token));
        token.clear();
      } else {
        token += c;
      }
    }
    if (!token.empty()) out.push_back(std::move(token));
    return out;
  }
  if (fn == "UUID") return Json(env.uuid());
  return Status::Internal("unhandled intrinsic States." + fn);
}

Result<Json> Eval(const Node& node, const PathScope& scope, const IntrinsicEnv& env) {
  switch (node.kind) {
    case Node::Kind::kLiteral:
      return node.literal;
    case Node::Kind::kPath:
      return node.path.Evaluate(scope);
    case Node::Kind::kCall: {
      std::vector<Json> args;
      args.reserve(node.args.size());
      for (const auto& arg : node.args) {
        STRATA_ASSIGN_OR_RETURN(Json v, Eval(*arg, scope, env));
        args.push_back(std::move(v));
      }
      return Call(node, args, env);
    }
  }
  return Status::Internal("bad intrinsic node");
}

}  // namespace

std::string FormatArgument(const Json& value) {
  switch (value.type()) {
    case Json::value_t::string:
      return value.get<std::string>();
    case Json::value_t::object: {
      std::string out = "{";
      bool first = true;
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        out += it.key() + "=" + FormatArgument(it.value());
      }
      return out + "}";
    }
    case Json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < value.size(); ++i) {
        if (i > 0) out += ", ";
        out += FormatArgument(value[i]);
      }
      return out + "]";
    }
    default:
      return value.dump();
  }
}

const IntrinsicEnv& DefaultIntrinsicEnv() {
  static const IntrinsicEnv* env = [] {
    struct Rng {
      std::mutex mu;
      std::mt19937_64 gen{std::random_device{}()};
    };
    auto rng = std::make_shared<Rng>();
    auto* e = new IntrinsicEnv();
    e->random = [rng](int64_t lo, int64_t hi) {
      std::lock_guard lock(rng->mu);
      return std::uniform_int_distribution<int64_t>(lo, hi - 1)(rng->gen);
    };
    e->uuid = [rng] {
      std::lock_guard lock(rng->mu);
      uint64_t hi = rng->gen(), lo = rng->gen();
      hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
      lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
      char buf[37];
      std::snprintf(buf, sizeof(buf), "%08x-%04x-%04x-%04x-%012llx",
                    static_cast<unsigned>(hi >> 32), static_cast<unsigned>((hi >> 16) & 0xffff),
                    static_cast<unsigned>(hi & 0xffff), static_cast<unsigned>(lo >> 48),
                    static_cast<unsigned long long>(lo & 0xffffffffffffULL));
      return std::string(buf);
    };
    return e;
  }();
  return *env;
}

bool LooksLikeIntrinsic(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  return text.substr(i, 7) == "States.";
}

IntrinsicCall::IntrinsicCall() = default;
IntrinsicCall::~IntrinsicCall() = default;
IntrinsicCall::IntrinsicCall(const IntrinsicCall&) = default;
IntrinsicCall& IntrinsicCall::operator=(const IntrinsicCall&) = default;
IntrinsicCall::IntrinsicCall(IntrinsicCall&&) noexcept = default;
IntrinsicCall& IntrinsicCall::operator=(IntrinsicCall&&) noexcept = default;

Result<IntrinsicCall> IntrinsicCall::Parse(std::string_view text) {
  // Its strings end up in JSON documents, whose writer throws on anything but UTF-8.
  if (FindInvalidUtf8(text) != std::string_view::npos) {
    return Status::InvalidArgument("invalid intrinsic function: not UTF-8 text");
  }
  Parser p(text);
  STRATA_ASSIGN_OR_RETURN(NodePtr root, p.ParseCall());
  p.Skip();
  if (!p.AtEnd()) return p.Error("unexpected text after the call");
  IntrinsicCall call;
  call.text_ = std::string(text);
  call.root_ = std::move(root);
  return call;
}

Result<Json> IntrinsicCall::Evaluate(const PathScope& scope, const IntrinsicEnv& env) const {
  if (!root_) return Status::Internal("empty intrinsic call");
  return Eval(*root_, scope, env);
}

}  // namespace strata::orchestrator
