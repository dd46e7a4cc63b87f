#define BOOST_TEST_MODULE raycl_component_tests
#include <boost/test/unit_test.hpp>
