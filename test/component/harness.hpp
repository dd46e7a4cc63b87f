// Shared helpers of the component tests: run an awaitable to completion, build client options
// for a fake dashboard, capture the client_error an operation throws.
#pragma once

#include "support/fake_dashboard.hpp"
#include "support/run_sync.hpp"
#include "support/test_paths.hpp"
#include "support/test_printing.hpp"

#include <raycl/raycl.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace raycl::test {

namespace asio = boost::asio;
using namespace std::chrono_literals;

/// Options for a client of `dashboard`: no token discovery, short timeouts, fast retries.
inline client_options options_for(const fake_dashboard& dashboard) {
    client_options options;
    options.address = dashboard.address();
    options.discover_token = false;
    options.timeout.connect = seconds(2.0);
    options.timeout.read = seconds(2.0);
    options.retry.initial_backoff = std::chrono::milliseconds(5);
    options.retry.max_backoff = std::chrono::milliseconds(20);
    return options;
}

/// A recorded real-Ray payload from test/fixtures/ray.
inline std::string ray_fixture(const std::string& name) {
    std::ifstream file(fixture_dir() + "/ray/" + name, std::ios::binary);
    if (!file) throw std::runtime_error("missing fixture " + name);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

}  // namespace raycl::test
