#include "landing/sftp/login_guard.h"

#include <gtest/gtest.h>

#include <string>

namespace strata::sftp {
namespace {

constexpr int64_t kSecond = 1'000'000;

LoginLimits Limits() {
  LoginLimits limits;
  limits.max_failures = 5;
  limits.failure_window_seconds = 60;
  limits.lockout_seconds = 300;
  limits.failure_delay_ms = 250;
  limits.max_failure_delay_ms = 4000;
  return limits;
}

TEST(LoginGuardTest, FiveFailuresLockTheAddressAndTheUserUntilTheLockoutPasses) {
  FakeClock clock(1000 * kSecond);
  LoginGuard guard(Limits(), clock);
  for (int i = 1; i <= 4; ++i) {
    LoginGuard::Failure failure = guard.RecordFailure("10.0.0.1", "acme");
    EXPECT_EQ(failure.address_failures, i);
    EXPECT_FALSE(failure.address_locked);
    EXPECT_FALSE(guard.Locked("10.0.0.1", "acme", true)) << i;
    clock.Advance(kSecond);
  }
  LoginGuard::Failure fifth = guard.RecordFailure("10.0.0.1", "acme");
  EXPECT_TRUE(fifth.address_locked);
  EXPECT_TRUE(fifth.user_locked);
  // The address is refused whatever it tries and whoever it names.
  auto lock = guard.Locked("10.0.0.1", "someone-else", /*password=*/false);
  ASSERT_TRUE(lock);
  EXPECT_EQ(lock->scope, LoginGuard::Scope::kAddress);
  EXPECT_EQ(lock->seconds_left, 300);
  // The user name is refused password logins from anywhere, but not key logins.
  lock = guard.Locked("10.0.0.2", "acme", /*password=*/true);
  ASSERT_TRUE(lock);
  EXPECT_EQ(lock->scope, LoginGuard::Scope::kUser);
  EXPECT_FALSE(guard.Locked("10.0.0.2", "acme", /*password=*/false));
  EXPECT_FALSE(guard.Locked("10.0.0.2", "beta", /*password=*/true));

  clock.Advance(299 * kSecond);
  lock = guard.Locked("10.0.0.1", "acme", true);
  ASSERT_TRUE(lock);
  EXPECT_EQ(lock->seconds_left, 1);
  clock.Advance(kSecond);
  EXPECT_FALSE(guard.Locked("10.0.0.1", "acme", true));
  // The count starts again: one more failure does not lock at once.
  EXPECT_FALSE(guard.RecordFailure("10.0.0.1", "acme").address_locked);
  EXPECT_FALSE(guard.Locked("10.0.0.1", "acme", true));
}

TEST(LoginGuardTest, FailuresOlderThanTheWindowDoNotCount) {
  FakeClock clock;
  LoginGuard guard(Limits(), clock);
  // One failure every 15 s: never five within 60 s.
  for (int i = 0; i < 20; ++i) {
    EXPECT_FALSE(guard.RecordFailure("10.0.0.1", "acme").address_locked) << i;
    clock.Advance(15 * kSecond);
  }
  EXPECT_FALSE(guard.Locked("10.0.0.1", "acme", true));
  // Five within the window do.
  for (int i = 0; i < 4; ++i) guard.RecordFailure("10.0.0.9", "u" + std::to_string(i));
  EXPECT_TRUE(guard.RecordFailure("10.0.0.9", "u9").address_locked);
  EXPECT_TRUE(guard.Locked("10.0.0.9", "u0", false));
  EXPECT_FALSE(guard.Locked("10.0.0.8", "u0", true)) << "one failure does not lock a user";
}

TEST(LoginGuardTest, ASuccessClearsTheFailuresOfItsAddressAndUser) {
  FakeClock clock;
  LoginGuard guard(Limits(), clock);
  for (int i = 0; i < 4; ++i) guard.RecordFailure("10.0.0.1", "acme");
  guard.RecordSuccess("10.0.0.1", "acme");
  EXPECT_EQ(guard.RecordFailure("10.0.0.1", "acme").address_failures, 1);
  EXPECT_FALSE(guard.Locked("10.0.0.1", "acme", true));
}

TEST(LoginGuardTest, ZeroMaxFailuresNeverLocks) {
  FakeClock clock;
  LoginLimits limits = Limits();
  limits.max_failures = 0;
  LoginGuard guard(limits, clock);
  for (int i = 0; i < 50; ++i) EXPECT_FALSE(guard.RecordFailure("10.0.0.1", "acme").address_locked);
  EXPECT_FALSE(guard.Locked("10.0.0.1", "acme", true));
}

TEST(LoginGuardTest, TheDelayDoublesWithEachFailureUpToTheMaximum) {
  FakeClock clock;
  LoginGuard guard(Limits(), clock);
  std::vector<int64_t> delays;
  for (int i = 0; i < 8; ++i) delays.push_back(guard.RecordFailure("10.0.0.1", "u").delay_micros);
  // 250, 500, 1000, 2000, then locked (the lock restarts the count: 4000 is the cap anyway).
  EXPECT_EQ(delays[0], 250'000);
  EXPECT_EQ(delays[1], 500'000);
  EXPECT_EQ(delays[2], 1'000'000);
  EXPECT_EQ(delays[3], 2'000'000);
  EXPECT_EQ(delays[4], 4'000'000);
  for (int64_t delay : delays) EXPECT_LE(delay, 4'000'000);
  EXPECT_EQ(guard.LockedDelayMicros(), 4'000'000);
  LoginLimits none = Limits();
  none.failure_delay_ms = 0;
  LoginGuard quick(none, clock);
  EXPECT_EQ(quick.RecordFailure("10.0.0.1", "u").delay_micros, 0);
}

// A client spraying new user names (or a botnet new addresses) cannot grow the guard without
// bound.
TEST(LoginGuardTest, MemoryStaysBounded) {
  FakeClock clock;
  LoginGuard guard(Limits(), clock);
  for (size_t i = 0; i < 3 * LoginGuard::kMaxEntries; ++i) {
    guard.RecordFailure("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250),
                        "user" + std::to_string(i));
    clock.Advance(1000);
  }
  EXPECT_LE(guard.EntriesForTest(), 2 * LoginGuard::kMaxEntries);
  // Once the window passed, old entries go as new ones come.
  clock.Advance(61 * kSecond);
  guard.RecordFailure("10.9.9.9", "late");
  EXPECT_LE(guard.EntriesForTest(), 4u);
}

TEST(LoginGuardTest, UserNamesAreMadeSafeToLog) {
  EXPECT_EQ(SanitizeUserName("acme"), "acme");
  EXPECT_EQ(SanitizeUserName("evil\nsftp: login of 'admin'"), "evil?sftp: login of 'admin'");
  EXPECT_EQ(SanitizeUserName(std::string(200, 'a')).size(), 64u);
  EXPECT_EQ(SanitizeUserName("\xc3\xa9t\x1b[0m"), "??t?[0m");
}

TEST(LoginGuardTest, IPv6AddressesAreLimitedByTheirSlash64) {
  EXPECT_EQ(LimitKey("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(LimitKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(LimitKey("2001:db8:1:2::7"), LimitKey("2001:db8:1:2:ffff::1"));
  EXPECT_NE(LimitKey("2001:db8:1:2::7"), LimitKey("2001:db8:1:3::7"));
  EXPECT_EQ(LimitKey("unknown"), "unknown");
  EXPECT_EQ(PeerAddress(-1), "unknown");
}

}  // namespace
}  // namespace strata::sftp
