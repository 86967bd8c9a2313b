# strata_layer(NAME DEPS dep... [PRIVATE_DEPS dep...] [TEST_DEPS dep...])
# Declares the static library strata_NAME from every *.cc in the current directory (one directory, one
# library) except *_test.cc and main.cc, and (with STRATA_TESTS) one test binary strata_NAME_test from
# the *_test.cc files, registered with CTest. Headers sit beside sources and are included as
# "layer/file.h" from src/.
# DEPS are public: only the layers and libraries whose types the layer's front-door headers show
# (its README's "Front door:"). Everything else it uses is a PRIVATE_DEPS, so a layer above never
# gets another layer's headers or libraries by accident; TEST_DEPS are for the tests alone.
# test/layers/check_layers.py holds includes and links to each README's "May depend on:".
function(strata_layer name)
  cmake_parse_arguments(ARG "" "" "DEPS;PRIVATE_DEPS;TEST_DEPS" ${ARGN})
  file(GLOB all_sources CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/*.cc")
  set(sources ${all_sources})
  list(FILTER sources EXCLUDE REGEX "(_test|/main)\\.cc$")
  set(tests ${all_sources})
  list(FILTER tests INCLUDE REGEX "_test\\.cc$")

  add_library(strata_${name} STATIC ${sources})
  target_include_directories(strata_${name} PUBLIC "${CMAKE_SOURCE_DIR}/src")
  target_link_libraries(strata_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})

  if(STRATA_TESTS AND tests)
    add_executable(strata_${name}_test ${tests})
    target_link_libraries(strata_${name}_test PRIVATE strata_${name} ${ARG_TEST_DEPS}
                          GTest::gmock GTest::gtest_main)
    target_compile_definitions(strata_${name}_test PRIVATE
      STRATA_SHARED_DIR="${CMAKE_SOURCE_DIR}/../shared"
      STRATA_TEST_BINARY_DIR="${CMAKE_BINARY_DIR}")
    gtest_discover_tests(strata_${name}_test DISCOVERY_TIMEOUT 60
                         PROPERTIES ENVIRONMENT "STRATA_TEST_TMP=${CMAKE_BINARY_DIR}/test-tmp")
  endif()
endfunction()

# GCC 12 reports -Wrestrict false positives for std::string concatenation at -O2/-O3 (GCC bug
# 105329), which -Werror would turn into failed optimised builds. Real overlapping copies are
# still caught by AddressSanitizer in the test build.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  add_compile_options(-Wno-restrict)
  # Its -Wmaybe-uninitialized has the same kind of false positives at -O2 once std::string or
  # std::variant code is inlined (GCC bugs 105562, 107919): the optimised build failed on string
  # comparisons initialised on every path. The test build (-Og) keeps the warning.
  if(NOT STRATA_SANITIZE)
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
endif()
