// tls_fixture(): the one TU of the fake compiled with the path of test/fixtures/tls (see
// test_paths.hpp for why no other TU is).
#include "support/fake_dashboard.hpp"

namespace raycl::test {

std::string tls_fixture(std::string_view file_name) {
    return std::string(RAYCL_TLS_FIXTURE_DIR) + "/" + std::string(file_name);
}

}  // namespace raycl::test
