#define BOOST_TEST_MODULE raycl_unit_tests
#include <boost/test/unit_test.hpp>
