// Secret references in project files: `${env:NAME}` (an environment variable) and
// `${secret:NAME}` (a line `NAME=value` of the project's `.strata/secrets` file).
//
// Contract:
//  - ResolveSecrets replaces every reference in `text` and returns the result; text without a
//    reference comes back unchanged. `$${` is a literal `${`.
//  - Errors name the reference and where to define it, never a value: NotFound for an unset
//    variable or a name missing from the secrets file (or a missing file), InvalidArgument for a
//    malformed reference, FailedPrecondition when the secrets file is readable by group or others
//    (it must be 0600, as ssh insists for keys).
//  - The secrets file: one `NAME=value` per line; blank lines and lines starting with '#' are
//    ignored; the value is everything after the first '=' (no quoting, no trimming of the value).
// Thread safety: pure functions over the environment and the file; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace strata {

// `secrets_file` may be empty: then `${secret:...}` is NotFound.
Result<std::string> ResolveSecrets(std::string_view text, const std::string& secrets_file);

// True if `text` holds a `${env:...}` or `${secret:...}` reference.
bool HasSecretReference(std::string_view text);

}  // namespace strata
