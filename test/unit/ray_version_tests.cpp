// Ray releases, what the client knows of the server's, and the table of capabilities.
#include "core/ray_version.hpp"
#include "support/ray_fixtures.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <set>

using namespace raycl;
using namespace raycl::core;
using raycl::test::contains;
using raycl::test::expect_client_error;

namespace {

ray_release release(std::string_view text) {
    const auto parsed = parse_ray_release(text);
    BOOST_REQUIRE(parsed.has_value());
    return *parsed;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ray_version_tests)

BOOST_AUTO_TEST_CASE(releases_parse_and_compare_numerically) {
    BOOST_TEST(release("2.44.1").to_string() == "2.44.1");
    BOOST_TEST(release("2.9").to_string() == "2.9.0");
    BOOST_TEST(release("2.60.0rc1").to_string() == "2.60.0");  // a candidate has its release's capabilities
    BOOST_TEST(release("3.0.0.dev0").to_string() == "3.0.0");  // a nightly
    BOOST_TEST(release("2.9.").to_string() == "2.9.0");
    BOOST_TEST((release("2.9.3") < release("2.10.0")));  // not a text comparison
    BOOST_TEST((release("2.44.1") < release("2.45.0")));
    BOOST_TEST((release("2.45.0") == release("2.45")));
    BOOST_TEST((release("10.0.0") > release("2.99.99")));
    for (std::string_view bad : {"", "2", "2.", ".9", "x.y.z", "v2.9.3", "-1.2.3", "2.-1", " 2.9.3"})
        BOOST_TEST(!parse_ray_release(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(every_capability_has_one_row_in_release_order) {
    std::set<capability> seen;
    ray_release previous{};
    for (const auto& row : capabilities()) {
        BOOST_TEST(seen.insert(row.id).second);
        BOOST_TEST((row.first >= previous), row.feature);
        previous = row.first;
        BOOST_TEST(!row.feature.empty());
        BOOST_TEST(!row.source.empty());
        BOOST_TEST((&describe(row.id) == &row));
    }
    BOOST_TEST(seen.size() == static_cast<std::size_t>(capability::platform_events) + 1);
    // The rows the issue names, with the releases docs/ray-versions.md found.
    BOOST_TEST(describe(capability::entrypoint_label_selector).first.to_string() == "2.54.0");
    BOOST_TEST(describe(capability::raw_log_bodies).first.to_string() == "2.45.0");
    BOOST_TEST(describe(capability::token_authentication).first.to_string() == "2.52.0");
    BOOST_TEST(describe(capability::serve_application_source).first.to_string() == "2.39.0");
    BOOST_TEST(describe(capability::serve_api_type_filter).first.to_string() == "2.50.0");
    BOOST_TEST(describe(capability::serve_declarative_put_keeps_imperative).first.to_string() == "2.11.0");
}

BOOST_AUTO_TEST_CASE(an_exact_release_answers_yes_or_no) {
    const auto old = server_version::exactly(release("2.44.1"));
    BOOST_TEST((check(old, capability::entrypoint_label_selector) == support::no));
    BOOST_TEST((check(old, capability::raw_log_bodies) == support::no));
    BOOST_TEST((check(old, capability::serve_application_source) == support::yes));
    const auto first = server_version::exactly(release("2.54.0"));
    BOOST_TEST((check(first, capability::entrypoint_label_selector) == support::yes));
    BOOST_TEST(
        (check(server_version::exactly(release("2.53.9")), capability::entrypoint_label_selector) == support::no));
}

BOOST_AUTO_TEST_CASE(token_auth_only_bounds_the_release_and_nothing_is_guessed_beyond) {
    const auto hidden = server_version::token_protected();
    BOOST_TEST((hidden.known == server_version::certainty::at_least));
    BOOST_TEST(hidden.release.to_string() == "2.52.0");
    BOOST_TEST((check(hidden, capability::raw_log_bodies) == support::yes));
    BOOST_TEST((check(hidden, capability::token_authentication) == support::yes));
    BOOST_TEST((check(hidden, capability::entrypoint_label_selector) == support::unknown));
    BOOST_CHECK_NO_THROW(require(hidden, capability::entrypoint_label_selector));  // the server decides
    BOOST_TEST(contains(hidden.describe(), "2.52 or later"));
}

BOOST_AUTO_TEST_CASE(the_unsupported_error_names_the_feature_the_release_it_needs_and_the_servers) {
    const auto old = server_version::exactly(release("2.44.1"));
    const auto error =
        expect_client_error(error_kind::unsupported, [&] { require(old, capability::entrypoint_label_selector); });
    BOOST_TEST(error.status() == 501);
    BOOST_TEST(
        error.message() ==
            "entrypoint_label_selector on a job submission needs Ray 2.54.0 or later; the cluster runs Ray 2.44.1",
        error.message());
    BOOST_TEST(error.http_status() == 0);  // raised before anything was sent
    BOOST_CHECK_NO_THROW(require(old, capability::serve_application_source));
}

BOOST_AUTO_TEST_CASE(the_answer_to_api_version_gives_the_release_or_its_bound) {
    const auto request = version_request();
    const auto exact =
        server_version_from(request, 200, R"({"version": "4", "ray_version": "2.9.3", "ray_commit": "x"})", {});
    BOOST_TEST((exact.known == server_version::certainty::exact));
    BOOST_TEST(exact.release.to_string() == "2.9.3");
    for (int status : {401, 403}) {
        const auto bound = server_version_from(request, status, "Unauthorized: Missing authentication token", {});
        BOOST_TEST((bound.known == server_version::certainty::at_least));
    }
    expect_client_error(error_kind::not_found, [&] { server_version_from(request, 404, "404: Not Found", {}); });
    expect_client_error(error_kind::unavailable, [&] { server_version_from(request, 503, "", {}); });
    expect_client_error(error_kind::protocol_error, [&] { server_version_from(request, 200, "<html>", {}); });
    expect_client_error(error_kind::protocol_error,
                        [&] { server_version_from(request, 200, R"({"version": "4", "ray_version": "main"})", {}); });
}

BOOST_AUTO_TEST_CASE(every_recorded_release_reports_itself) {
    for (const auto& version : raycl::test::recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const raycl::test::recorded_release recorded(version);
            const auto answer = recorded.get("version.json");
            const auto server = server_version_from(version_request(), answer.status, answer.body, {});
            BOOST_TEST(server.release.to_string() == version);
            BOOST_TEST((server.release >= oldest_tested_release));
            BOOST_TEST((server.release <= newest_tested_release));
            // Under token auth /api/version is not public (2.52+): only the bound is learned.
            const auto token_dir = raycl::test::ray_fixture_root() / version / "token";
            if (std::filesystem::exists(token_dir / "index.json")) {
                const raycl::test::recorded_release token(version, "token");
                const auto refused = token.get("error_auth_version_missing_token.txt");
                const auto bound = server_version_from(version_request(), refused.status, refused.body, {});
                BOOST_TEST((bound.known == server_version::certainty::at_least));
                BOOST_TEST((bound.release <= server.release));
            }
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
