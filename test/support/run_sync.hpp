// Running raycl awaitables synchronously in tests.
#pragma once

#include <raycl/error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <stdexcept>

namespace raycl::test {

/// Runs `operation` on a fresh io_context in this thread until it completes; rethrows.
template <class T>
T run_sync(boost::asio::awaitable<T> operation) {
    boost::asio::io_context context;
    auto result = boost::asio::co_spawn(context, std::move(operation), boost::asio::use_future);
    context.run();
    return result.get();
}

/// Runs `operation` and returns the client_error it threw (fails the test if none).
template <class T>
client_error expect_error(boost::asio::awaitable<T> operation) {
    try {
        run_sync(std::move(operation));
    } catch (const client_error& error) {
        return error;
    }
    BOOST_FAIL("expected a client_error");
    throw std::logic_error("unreachable");
}

}  // namespace raycl::test
