// Internal to the validator (validator.cc, validator_states.cc): the error collector and the
// per-field checks. Not a public interface.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "orchestrator/validator.h"

namespace strata::orchestrator::validator_internal {

// Where an error is: the JSON pointer of the state (or machine) and the state's name.
struct Where {
  std::string pointer;
  std::string state;
};

enum class MachineKind { kTop, kBranch, kItemProcessor };

class Checker {
 public:
  enum class PathKind {
    kAny,              // InputPath/OutputPath/ItemsPath/Variable: any path ($, $$, $var)
    kReference,        // *Path numbers and timestamps: a definite path
    kResult,           // ResultPath: a definite path into the input ($...)
    kPathOrIntrinsic,  // ".$" template values, ErrorPath/CausePath
  };

  explicit Checker(const ValidationOptions& o) : options(o) {}

  void Add(const Where& w, const std::string& field, std::string message);
  void CheckMachine(const Json& m, const std::string& pointer, bool jsonata, MachineKind kind);
  void CheckState(const std::string& name, const Json& s, const std::string& pointer,
                  bool machine_jsonata, const std::set<std::string>& scope);
  void CheckPath(const Json& v, const Where& w, const std::string& field, PathKind kind,
                 bool allow_null);
  void CheckPayloadTemplate(const Json& v, const Where& w, const std::string& field);
  void CheckJsonataString(const Json& v, const Where& w, const std::string& field, bool required);
  void CheckJsonataTemplate(const Json& v, const Where& w, const std::string& field);
  void CheckNumber(const Json& v, const Where& w, const std::string& field, bool jsonata,
                   double min, double max, bool integer);
  void AtMostOne(const Json& obj, const Where& w, const std::string& a, const std::string& b,
                 const std::string& prefix = "");
  void CheckRetryCatch(const Json& state, const Where& w, bool jsonata,
                       const std::set<std::string>& scope);
  void CheckErrorEquals(const Json& obj, const Where& w, const std::string& f, bool last);

  const ValidationOptions& options;
  std::vector<ValidationError> errors;
  std::set<std::string> all_names;  // state names are unique across the whole machine
};

const std::set<std::string>& AllowedFieldsFor(std::string_view type, bool jsonata);
bool IsIntegerValue(const Json& v);
bool IsTimestampString(const std::string& s);
bool IsResourceString(const std::string& s);
void CheckRule(Checker& c, const Json& rule, const Where& w, const std::string& field, bool top,
               bool jsonata);

}  // namespace strata::orchestrator::validator_internal
