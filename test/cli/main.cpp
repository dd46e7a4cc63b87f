#define BOOST_TEST_MODULE raycl_cli_tests
#include <boost/test/unit_test.hpp>

#include "support/test_paths.hpp"

std::string raycl::test::fixture_dir() {
    return RAYCL_FIXTURE_DIR;
}

std::string raycl::test::cli_binary() {
    return RAYCL_CLI_BINARY;
}
