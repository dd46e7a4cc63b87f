// Helpers shared by the unit tests.
#pragma once

#include "support/test_paths.hpp"
#include "support/test_printing.hpp"

#include <raycl/error.hpp>
#include <raycl/models.hpp>

#include <boost/test/unit_test.hpp>

#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace raycl::test {

/// Runs `action`, which must throw client_error; returns it so the test can inspect it.
template <class Action>
client_error expect_client_error(Action&& action) {
    try {
        action();
    } catch (const client_error& error) {
        return error;
    }
    BOOST_FAIL("expected a raycl::client_error");
    throw std::logic_error("unreachable");
}

/// Runs `action` and checks it throws a client_error of `kind`; returns the error.
template <class Action>
client_error expect_client_error(error_kind kind, Action&& action) {
    client_error error = expect_client_error(std::forward<Action>(action));
    BOOST_TEST(error.kind() == kind);
    BOOST_TEST(error.status() == status_for(kind));
    return error;
}

inline bool contains(std::string_view text, std::string_view part) {
    return text.find(part) != std::string_view::npos;
}

/// The canary secret of the leak tests; no 8+ char piece of it may survive sanitizing.
inline constexpr std::string_view canary = "tok_CANARY_1234567890";

/// True when no run of 8 or more leading characters of the canary appears in `text`.
inline bool free_of_canary(std::string_view text) {
    return !contains(text, canary.substr(0, 8));
}

}  // namespace raycl::test
