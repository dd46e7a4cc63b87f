// What the CLI component tests share: Ray's recorded answers and running the built `raycl`
// against a fake dashboard.
#pragma once

#include "run_binary.hpp"
#include "support/fake_dashboard.hpp"
#include "support/ray_fixtures.hpp"

#include <string>
#include <vector>

namespace raycl::cli::test {

/// The bytes of test/fixtures/ray/NAME (a recorded Ray answer). Throws when it is missing.
inline std::string fixture(const std::string& name) {
    return raycl::test::read_file_bytes(raycl::test::ray_fixture_root() / name);
}

/// Runs raycl with --address of the dashboard first.
inline cli_result raycl_at(const raycl::test::fake_dashboard& dashboard, std::vector<std::string> args,
                           const cli_run_options& options = {}) {
    args.insert(args.begin(), {"--address", dashboard.address()});
    return run_cli(args, options);
}

}  // namespace raycl::cli::test
