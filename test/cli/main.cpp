#define BOOST_TEST_MODULE raycl_cli_tests
#include <boost/test/unit_test.hpp>
