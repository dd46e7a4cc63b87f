#define BOOST_TEST_MODULE raycl_integration_tests
#include <boost/test/unit_test.hpp>
