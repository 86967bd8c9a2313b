#include "engine/engine.h"

#include <gtest/gtest.h>
namespace strata::engine {
TEST(EngineTest, Version) { EXPECT_EQ(EngineVersion(), "v1.4.4"); }
}  // namespace strata::engine
