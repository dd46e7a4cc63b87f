#define BOOST_TEST_MODULE raycl_integration_tests
#include <boost/test/unit_test.hpp>

#include "support/test_paths.hpp"

std::string raycl::test::python_dir() {
    return RAYCL_TEST_PYTHON_DIR;
}

std::string raycl::test::cluster_script_path() {
    return RAYCL_CLUSTER_SCRIPT;
}
