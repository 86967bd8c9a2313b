// What a server user may see of the lake: the access grants of the user's roles decide which
// tables are readable (by table, layer or catalog tag), and the catalog decides which columns
// are PII (classified confirmed or proposed, never rejected ones). Every place rows leave the
// server (the SQL endpoint, samples, profiles, dashboards) binds its tables under this policy
// (lake::LakeSession::SetAccessPolicy), so masking happens in the query, not on its output.
// Thread safety: the returned policy reads the catalog through ServerContext::WithCatalog and
// may be called from any thread; it caches nothing, so a grant or a classification changed
// meanwhile counts from the next query on.
#pragma once

#include "access/access.h"
#include "lake/session.h"

namespace strata::server {

class ServerContext;

// `context` must outlive the policy.
lake::AccessPolicy TablePolicy(const access::Principal& who, ServerContext& context);

// A lake table as access decisions see it: its layer, name and catalog tags (none when the
// catalog has not seen the table yet); the catalog's other errors.
Result<access::TableRef> TableRefOf(ServerContext& context, const lake::TableName& table);

}  // namespace strata::server
