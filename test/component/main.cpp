#define BOOST_TEST_MODULE raycl_component_tests
#include <boost/test/unit_test.hpp>

#include "support/test_paths.hpp"

std::string raycl::test::fixture_dir() {
    return RAYCL_FIXTURE_DIR;
}
