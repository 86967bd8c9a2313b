// The fixture of the access tests: a fresh AccessControl on SQLite (a temporary directory) or on
// a real PostgreSQL (catalog/catalog_test_util.h starts it), with a FakeClock for expiry.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "access/access.h"
#include "catalog/catalog_test_util.h"
#include "common/clock.h"
#include "common/status.h"

namespace strata::access::testing {

// 2026-12-07T12:00:00Z.
inline constexpr int64_t kStartMicros = int64_t{1796644800} * 1'000'000;

inline bool Has(const Status& status, StatusCode code) { return status.code() == code; }

class AccessTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "sqlite") {
      dir_ = std::make_unique<catalog::testing::TempDir>();
      location_ = dir_->path() + "/.strata/catalog.db";
    } else {
      location_ = catalog::testing::FreshPostgresUrl();
      ASSERT_FALSE(location_.empty());
    }
    access_ = OpenAnother();
    ASSERT_NE(access_, nullptr);
  }

  // Another AccessControl on the same database (as another process would have).
  std::unique_ptr<AccessControl> OpenAnother() {
    AccessOptions options;
    options.clock = &clock_;
    options.session_ttl_seconds = 3600;
    auto opened = AccessControl::Open(location_, options);
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? std::move(*opened) : nullptr;
  }

  FakeClock clock_{kStartMicros};
  std::unique_ptr<catalog::testing::TempDir> dir_;
  std::string location_;
  std::unique_ptr<AccessControl> access_;
};

}  // namespace strata::access::testing
