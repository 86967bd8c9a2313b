// PII classification of columns from sampled values and from names.
//
// Detectors: EMAIL, PHONE (Brazilian "+55 11 91234-5678", "(11) 91234-5678" and international
// E.164 "+4915112345678"), CPF and CNPJ (check digits verified), CREDIT_CARD (Luhn and a known
// issuer prefix), IP_ADDRESS (v4 and v6), PERSON_NAME (2-6 capitalised words starting with a
// known first name or ending with a known surname; no company word, no street or business
// lead such as "Rua" or "Banco"), STREET_ADDRESS (a street type and a number),
// DATE_OF_BIRTH (dates giving ages of 16..110 years), plus custom regular expressions from the
// project.
//
// Rules:
//  - A class is proposed from values when at least `min_ratio` of the non-empty sampled values
//    match it; confidence grows with the share of matches and with a column name that agrees.
//  - A name alone ("cpf", "email", "telefone") proposes a class only when there are no values to
//    look at (fewer than `min_values`), and then with low confidence: when values exist and
//    disagree, the name never makes a match stick. DATE_OF_BIRTH from values alone is weaker
//    (any old date could be one): without the name its confidence stops at 0.5, or at 0.8 when
//    the matching dates span 20 years or more (people's births spread over generations, event
//    dates do not); the span is kept in the evidence ("year_span").
//  - Evidence is JSON: sample size, matches, ratio, whether the name agreed, and up to three
//    masked examples (never the raw values: the catalog must not become a copy of the PII).
// Pure functions; thread-safe. Custom patterns use std::regex (ECMAScript), full match.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace strata::catalog {

struct CustomPattern {
  std::string name{};                     // the class, e.g. "CONTRATO"
  std::string regex{};                    // must match a whole value
  std::vector<std::string> name_hints{};  // words in column names that suggest it
};

struct ClassifierOptions {
  double min_ratio = 0.8;  // share of non-empty values that must match
  int min_values = 5;      // fewer non-empty values than this: too few to judge by values
  std::vector<CustomPattern> custom{};
};

struct ColumnSample {
  std::string name{};
  std::string type{};                 // SQL type; numbers are classified from their text too
  std::vector<std::string> values{};  // non-NULL sampled values as text
};

struct Classification {
  std::string class_name{};
  double confidence = 0;   // 0..1
  std::string method{};    // values or name
  std::string evidence{};  // JSON
};

// Proposals for one column, most confident first. InvalidArgument if a custom regex does not
// compile (naming the pattern).
Result<std::vector<Classification>> ClassifyColumn(const ColumnSample& column,
                                                   const ClassifierOptions& options);

// Single-value checks, exposed for tests and for other layers (masking, expectations).
bool IsValidCpf(std::string_view text);   // 11 digits, optionally 000.000.000-00
bool IsValidCnpj(std::string_view text);  // 14 digits, optionally 00.000.000/0000-00
bool PassesLuhn(std::string_view digits);
bool IsCreditCard(std::string_view text);  // 13-19 digits, spaces/dashes, Luhn, issuer prefix
bool IsEmail(std::string_view text);
bool IsPhone(std::string_view text);  // needs a '+' or separators: bare digit runs are not phones
bool IsIpAddress(std::string_view text);
bool IsPersonName(std::string_view text);
bool IsStreetAddress(std::string_view text);
// A date (YYYY-MM-DD, DD/MM/YYYY, optionally with a time) giving an age of 16..110 years on
// `today_year`.
bool IsBirthDate(std::string_view text, int today_year);

// "joao.silva@x.com" -> "j*********@x.com"-style masking used in evidence: keeps the first
// character, the last two and punctuation, replaces other letters and digits with '*'.
std::string MaskValue(std::string_view text);

}  // namespace strata::catalog
