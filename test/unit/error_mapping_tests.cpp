// The one table from HTTP statuses and transport failures to error kinds and retry classes.
#include "core/error_mapping.hpp"

#include <boost/test/unit_test.hpp>

using namespace raycl;
using namespace raycl::core;

BOOST_AUTO_TEST_SUITE(error_mapping_tests)

BOOST_AUTO_TEST_CASE(statuses_map_to_kinds_retry_classes_and_the_tail_rule) {
    struct row {
        int status;
        error_kind kind;
        attempt_outcome outcome;
        bool tail_reconnects;
    };
    const row table[] = {
        {400, error_kind::invalid_argument, attempt_outcome::final_error, false},
        {401, error_kind::unauthorized, attempt_outcome::final_error, false},
        {403, error_kind::forbidden, attempt_outcome::final_error, false},
        {404, error_kind::not_found, attempt_outcome::final_error, false},
        {405, error_kind::invalid_argument, attempt_outcome::final_error, true},
        {408, error_kind::timeout, attempt_outcome::final_error, true},
        {413, error_kind::request_too_large, attempt_outcome::final_error, true},
        {429, error_kind::limit_exceeded, attempt_outcome::final_error, true},
        {500, error_kind::server_error, attempt_outcome::final_error, true},
        {501, error_kind::unsupported, attempt_outcome::final_error, false},  // Ray: Serve not installed
        {502, error_kind::unavailable, attempt_outcome::retryable_status, true},
        {503, error_kind::unavailable, attempt_outcome::retryable_status, true},
        {504, error_kind::unavailable, attempt_outcome::retryable_status, true},
        {302, error_kind::protocol_error, attempt_outcome::final_error, true},
    };
    for (const auto& expected : table) {
        const auto mapped = map_status(expected.status);
        BOOST_TEST_CONTEXT("status " << expected.status) {
            BOOST_TEST((mapped.kind == expected.kind));
            BOOST_TEST((mapped.outcome == expected.outcome));
            BOOST_TEST(mapped.tail_reconnects == expected.tail_reconnects);
        }
    }
    for (int status : {200, 201, 204, 299}) BOOST_TEST((map_status(status).outcome == attempt_outcome::success));
}

BOOST_AUTO_TEST_CASE(failures_before_the_request_left_are_not_sent_and_after_it_depend_on_idempotence) {
    for (auto reason : {transport_failure::resolve_failed, transport_failure::connect_refused,
                        transport_failure::connect_timeout, transport_failure::tls_failed})
        BOOST_TEST((map_failure(reason).outcome == attempt_outcome::not_sent));
    BOOST_TEST((map_failure(transport_failure::stale_connection).outcome == attempt_outcome::stale_connection));
    BOOST_TEST((map_failure(transport_failure::read_timeout).outcome == attempt_outcome::timed_out));
    BOOST_TEST((map_failure(transport_failure::connection_lost).outcome == attempt_outcome::connection_lost));
    for (auto reason : {transport_failure::body_too_large, transport_failure::malformed_response,
                        transport_failure::body_unreadable, transport_failure::cancelled})
        BOOST_TEST((map_failure(reason).outcome == attempt_outcome::final_error));
    BOOST_TEST((map_failure(transport_failure::cancelled).kind == error_kind::cancelled));
    BOOST_TEST(!map_failure(transport_failure::tls_failed).text.empty());
    BOOST_TEST((map_failure(transport_failure::body_unreadable).kind == error_kind::invalid_argument));
}

BOOST_AUTO_TEST_SUITE_END()
