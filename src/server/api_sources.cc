// Database source routes: GET /api/sources, what `strata source status` shows, with the state
// of the followers this server runs.
#include "server/context.h"

namespace strata::server {

void RegisterSourceRoutes(Router& router, ServerContext& context) {
  router.Get("/api/sources", "/api/sources", [&context](const httplib::Request&) -> ApiResult {
    if (!context.source_followers) return Ok({{"sources", json::array()}});
    return Ok(context.source_followers->Report());
  });
}

}  // namespace strata::server
