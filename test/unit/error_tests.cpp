#include "unit/unit_helpers.hpp"

#include <raycl/error.hpp>

#include <boost/system/errc.hpp>
#include <boost/test/unit_test.hpp>

#include <string>
#include <utility>
#include <vector>

using raycl::client_error;
using raycl::error_kind;

BOOST_AUTO_TEST_SUITE(error_tests)

BOOST_AUTO_TEST_CASE(status_follows_the_seed_table) {
    const std::vector<std::pair<error_kind, int>> table{
        {error_kind::invalid_argument, 400}, {error_kind::not_found, 404},    {error_kind::timeout, 408},
        {error_kind::limit_exceeded, 429},   {error_kind::server_error, 500}, {error_kind::unavailable, 503},
        {error_kind::unauthorized, 401},     {error_kind::forbidden, 403},    {error_kind::cancelled, 500},
        {error_kind::protocol_error, 500}};
    for (const auto& [kind, status] : table) {
        BOOST_TEST_CONTEXT(raycl::to_string(kind)) {
            BOOST_TEST(raycl::status_for(kind) == status);
            BOOST_TEST(client_error(kind, "m").status() == status);
        }
    }
}

BOOST_AUTO_TEST_CASE(kind_names_are_stable) {
    BOOST_TEST(raycl::to_string(error_kind::invalid_argument) == "invalid_argument");
    BOOST_TEST(raycl::to_string(error_kind::not_found) == "not_found");
    BOOST_TEST(raycl::to_string(error_kind::timeout) == "timeout");
    BOOST_TEST(raycl::to_string(error_kind::limit_exceeded) == "limit_exceeded");
    BOOST_TEST(raycl::to_string(error_kind::server_error) == "server_error");
    BOOST_TEST(raycl::to_string(error_kind::unavailable) == "unavailable");
    BOOST_TEST(raycl::to_string(error_kind::unauthorized) == "unauthorized");
    BOOST_TEST(raycl::to_string(error_kind::forbidden) == "forbidden");
    BOOST_TEST(raycl::to_string(error_kind::cancelled) == "cancelled");
    BOOST_TEST(raycl::to_string(error_kind::protocol_error) == "protocol_error");
}

BOOST_AUTO_TEST_CASE(what_carries_status_and_message) {
    client_error error(error_kind::not_found, "Job x does not exist", "GET /api/jobs/x", "Job x does not exist\n", 404);
    BOOST_TEST(std::string(error.what()) == "raycl error 404: Job x does not exist");
    BOOST_TEST(error.message() == "Job x does not exist");
    BOOST_TEST(error.request() == "GET /api/jobs/x");
    BOOST_TEST(error.server_body() == "Job x does not exist\n");
    BOOST_TEST(error.http_status() == 404);
    BOOST_TEST(to_string(error.kind()) == "not_found");
}

BOOST_AUTO_TEST_CASE(status_comes_from_the_kind_not_the_http_status) {
    client_error error(error_kind::unavailable, "bad gateway", "GET /api/version", "", 502);
    BOOST_TEST(error.status() == 503);
    BOOST_TEST(error.http_status() == 502);
    BOOST_TEST(client_error(error_kind::timeout, "t").http_status() == 0);
}

BOOST_AUTO_TEST_CASE(is_catchable_as_runtime_error) {
    BOOST_CHECK_THROW(throw client_error(error_kind::cancelled, "gone"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(the_code_is_the_kind_in_raycls_own_category) {
    client_error error(error_kind::not_found, "Job x does not exist", "GET /api/jobs/x", "", 404);
    BOOST_TEST((error.code() == error_kind::not_found));
    BOOST_TEST(std::string(error.code().category().name()) == "raycl");
    BOOST_TEST(error.code().message() == "not found");
    BOOST_TEST(error.diagnostics().message() == "Job x does not exist");
    BOOST_TEST(error.diagnostics().http_status() == 404);
    const boost::system::error_code ec = error_kind::timeout;
    BOOST_TEST((ec == boost::system::errc::timed_out));
    BOOST_TEST((boost::system::error_code(error_kind::cancelled) == boost::system::errc::operation_canceled));
    BOOST_TEST(!(boost::system::error_code(error_kind::not_found) == boost::system::errc::timed_out));
}

BOOST_AUTO_TEST_CASE(every_kind_has_a_name_a_message_and_a_status) {
    for (int value = 1; value <= static_cast<int>(error_kind::unsupported); ++value) {
        const auto kind = static_cast<error_kind>(value);
        BOOST_TEST_CONTEXT("kind " << value) {
            BOOST_TEST(raycl::to_string(kind) != "unknown");
            BOOST_TEST(raycl::error_category().message(value) != "unknown raycl error");
            BOOST_TEST(raycl::status_for(kind) >= 400);
        }
    }
    BOOST_TEST(raycl::status_for(error_kind::request_too_large) == 413);
    BOOST_TEST(raycl::status_for(error_kind::unsupported) == 501);
}

BOOST_AUTO_TEST_CASE(is_catchable_as_system_error) {
    BOOST_CHECK_THROW(throw client_error(error_kind::cancelled, "gone"), boost::system::system_error);
}

BOOST_AUTO_TEST_SUITE_END()
