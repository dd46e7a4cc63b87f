// Paths of the checkout and build tree that tests need at run time. Each test executable defines
// the ones it uses in its main.cpp, the only TU compiled with them (raycl_test_paths() in
// test/CMakeLists.txt): no other compile command holds an absolute path, so ccache entries are
// shared by clones of the checkout at other paths (CI clones afresh into a new directory).
#pragma once

#include <string>

namespace raycl::test {

/// test/fixtures of the checkout (unit, component and CLI tests).
std::string fixture_dir();
/// The built `raycl` binary (CLI tests).
std::string cli_binary();
/// test/integration/python (integration tests).
std::string python_dir();
/// scripts/ray-cluster.sh (integration tests).
std::string cluster_script_path();

}  // namespace raycl::test
