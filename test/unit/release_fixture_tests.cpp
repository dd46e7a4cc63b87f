// The decoders and the error table over the responses of every recorded Ray release
// (test/fixtures/ray/<version>/, scripts/ray-versions/record_fixtures.py): a change that breaks an
// old cluster fails here, without a cluster. What differs between releases: docs/ray-versions.md.
#include "core/models_json.hpp"
#include "core/ray_version.hpp"
#include "core/responses.hpp"
#include "support/ray_fixtures.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <string>

using namespace raycl;
using namespace raycl::core;
using raycl::test::contains;
using raycl::test::recorded_ray_versions;
using raycl::test::recorded_release;
namespace json = boost::json;

namespace {

server_version server_of(const std::string& version) {
    return server_version::exactly(*parse_ray_release(version));
}

json::value body_of(const recorded_release& recorded, const std::string& file) {
    return json::parse(recorded.get(file).body);
}

/// A request like the one Ray answered: the recorded request line ("GET /api/v0/tasks?...").
request_spec request_of(const raycl::test::recorded_response& answer) {
    request_spec request;
    const auto space = answer.request.find(' ');
    const auto end = answer.request.find(' ', space + 1);
    request.target = answer.request.substr(space + 1, end == std::string::npos ? end : end - space - 1);
    return request;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(release_fixture_tests)

BOOST_AUTO_TEST_CASE(version_answers) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            const auto info = decode_version(body_of(recorded, "version.json"));
            BOOST_TEST(info.version == "4");
            BOOST_TEST(info.ray_version == version);
            // session_name came in 2.32: absent before, and the decoder leaves it empty.
            const bool has_session = check(server_of(version), capability::version_session_name) == support::yes;
            BOOST_TEST(info.session_name.empty() == !has_session);
        }
    }
}

BOOST_AUTO_TEST_CASE(jobs) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            for (const auto& file : recorded.files("jobs_get_", ".json")) {
                if (contains(file, "_logs")) continue;
                BOOST_TEST_CONTEXT(file) {
                    const auto job = decode_job_details(body_of(recorded, file));
                    BOOST_TEST(job.status != job_status::unknown);
                    BOOST_TEST(job.type == job_type::submission);
                    BOOST_TEST(job.submission_id.has_value());
                    BOOST_TEST(!job.entrypoint.empty());
                    if (contains(file, "succeeded")) {
                        BOOST_TEST(job.status == job_status::succeeded);
                        BOOST_TEST(job.driver_exit_code.value_or(-1) == 0);
                        BOOST_TEST(job.driver_node_id.has_value());
                    }
                    if (contains(file, "failed_exit3")) BOOST_TEST(job.driver_exit_code.value_or(-1) == 3);
                    if (contains(file, "pending")) BOOST_TEST(!job.is_terminal());
                }
            }
            BOOST_TEST(!decode_job_list(body_of(recorded, "jobs_list.json")).empty());
            for (const auto& file : recorded.files("jobs_logs_", ".json"))
                BOOST_CHECK_NO_THROW(decode_job_logs(body_of(recorded, file)));
            BOOST_TEST(contains(decode_job_logs(body_of(recorded, "jobs_logs_known_output.json")), "the end"));
            BOOST_TEST(decode_stopped(body_of(recorded, "jobs_stop_running.json")));
            BOOST_TEST(!decode_stopped(body_of(recorded, "jobs_stop_terminal.json")));
            BOOST_TEST(decode_deleted(body_of(recorded, "jobs_delete_terminal.json")));
            BOOST_TEST(!decode_submission_id(body_of(recorded, "jobs_submit.json")).empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(state_lists) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            const auto nodes = decode_state_list(body_of(recorded, "state_nodes_detail.json"), &decode_node);
            BOOST_TEST(nodes.items.size() == 2u);
            BOOST_TEST(std::count_if(nodes.items.begin(), nodes.items.end(),
                                     [](const node_info& n) { return n.is_head_node; }) == 1);
            for (const auto& node : nodes.items) BOOST_TEST(node.alive());
            for (const auto& file : recorded.files("state_tasks", ".json")) {
                if (contains(file, "summarize") || file == "state_timeout_1.json") continue;
                BOOST_TEST_CONTEXT(file) {
                    const auto tasks = decode_state_list(body_of(recorded, file), &decode_task);
                    BOOST_TEST(static_cast<std::int64_t>(tasks.items.size()) <= tasks.num_filtered);
                    if (contains(file, "limit1")) BOOST_TEST(tasks.items.size() <= 1u);
                    if (contains(file, "nomatch")) BOOST_TEST(tasks.items.empty());
                }
            }
            for (const auto& file : recorded.files("state_actors", ".json")) {
                if (contains(file, "summarize")) continue;
                BOOST_TEST_CONTEXT(file) {
                    const auto actors = decode_state_list(body_of(recorded, file), &decode_actor);
                    for (const auto& actor : actors.items) BOOST_TEST(!actor.actor_id.empty());
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(serve_instances_with_or_without_source) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            const bool sends_source = check(server_of(version), capability::serve_application_source) == support::yes;
            const auto running = decode_serve_instance(body_of(recorded, "serve_get_running.json"));
            BOOST_TEST(running.applications.size() == 2u);
            for (const auto& app : running.applications) {
                BOOST_TEST(app.raw->contains("source") == sends_source);
                // Deployed by a PUT: declarative, whether Ray said so (2.39+) or not.
                BOOST_TEST(app.source == "declarative");
                BOOST_TEST(app.deployed_app_config.has_value());
                BOOST_TEST(app.status == serve_app_status::running);
            }
            // Removing one declarative app keeps the other in the config to PUT, on every release.
            const auto config = serve_config_without(running, "echo");
            BOOST_TEST(config.at("applications").as_array().size() == 1u);
            BOOST_TEST(decode_serve_instance(body_of(recorded, "serve_get_not_running.json")).applications.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(source_is_derived_before_2_39_and_filters_by_api_type) {
    // 2.60's mixed instance (one app from a PUT, one from serve.run) without `source`, as Ray
    // before 2.39 sends it: deployed_app_config tells them apart.
    auto body = json::parse(raycl::test::read_file_bytes(raycl::test::ray_fixture_root() / "serve_get_mixed.json"));
    for (auto& [name, app] : body.at("applications").as_object()) app.as_object().erase("source");
    const auto instance = decode_serve_instance(body);
    BOOST_TEST(instance.find("echo")->source == "declarative");
    BOOST_TEST(instance.find("imperative_hello")->source == "imperative");
    const auto imperative = only_deployed_as(instance, serve_api_type::imperative);
    BOOST_TEST_REQUIRE(imperative.applications.size() == 1u);
    BOOST_TEST(imperative.applications[0].name == "imperative_hello");
    BOOST_TEST(imperative.raw->at("applications").as_object().size() == 1u);
    BOOST_TEST(imperative.raw->at("applications").as_object().contains("imperative_hello"));
    const auto declarative = only_deployed_as(instance, serve_api_type::declarative);
    BOOST_TEST(declarative.applications.size() == 1u);
    BOOST_TEST(declarative.find("echo") != nullptr);
    BOOST_TEST(declarative.raw->at("controller_info") == instance.raw->at("controller_info"));  // the rest stays
}

BOOST_AUTO_TEST_CASE(state_api_errors_say_why_where_ray_does) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            const auto server = server_of(version);
            const bool says_why = check(server, capability::state_api_bad_request) == support::yes;
            for (const std::string file : {"error_state_tasks_unknown_filter_key.json",
                                           "error_state_tasks_limit_10001.json", "error_state_bad_predicate.json"}) {
                BOOST_TEST_CONTEXT(file) {
                    const auto answer = recorded.get(file);
                    const auto error = classify_status(request_of(answer), answer.status, answer.body, {});
                    BOOST_TEST_REQUIRE(error.has_value());
                    BOOST_TEST(error->server_body().size() <= 2048u);
                    BOOST_TEST(!contains(error->message(), "Traceback"), error->message());
                    BOOST_TEST(!contains(error->message(), "{\"result\""), error->message());
                    if (says_why) {
                        BOOST_TEST(answer.status == 400);
                        BOOST_TEST(error->status() == 400);
                    } else if (answer.status == 500 && answer.body.starts_with("{")) {
                        // <= 2.44: a 500 envelope holding the traceback of a ValueError.
                        BOOST_TEST(error->status() == 400, error->message());
                        BOOST_TEST(error->http_status() == 500);
                    } else {
                        // 2.45 - 2.51: a bare 500 page, no reason to give.
                        BOOST_TEST(error->status() == 500);
                        BOOST_TEST(contains(error->message(), "without a reason"), error->message());
                    }
                    if (contains(file, "unknown_filter_key") && (says_why || answer.body.starts_with("{")))
                        BOOST_TEST(contains(error->message(), "bogus_col"), error->message());
                    if (contains(file, "bad_predicate") && (says_why || answer.body.starts_with("{")))
                        BOOST_TEST(contains(error->message(), "Unsupported filter predicate"), error->message());
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(every_error_body_classifies_with_a_readable_message) {
    for (const auto& version : recorded_ray_versions()) {
        BOOST_TEST_CONTEXT("Ray " << version) {
            const recorded_release recorded(version);
            for (const auto& file : recorded.files("error_")) {
                const auto answer = recorded.get(file);
                if (answer.status == 200 || file.ends_with(".jsonl"))
                    continue;  // in-band log errors: log_framing_tests
                BOOST_TEST_CONTEXT(file) {
                    const auto error = classify_status(request_of(answer), answer.status, answer.body, {});
                    BOOST_TEST_REQUIRE(error.has_value());
                    BOOST_TEST(error->http_status() == answer.status);
                    BOOST_TEST(!contains(error->message(), "Traceback (most recent call last)"), error->message());
                    BOOST_TEST(!error->message().ends_with(": ."), error->message());
                    BOOST_TEST(error->server_body().size() <= 2048u);
                    if (answer.status == 404) BOOST_TEST(error->status() == 404);
                }
            }
            // A repeated submit that Ray refuses as a duplicate is recognised on every release.
            const auto duplicate = recorded.get("error_jobs_submit_duplicate.txt");
            BOOST_TEST(is_duplicate_submission(duplicate.status, duplicate.body));
            // entrypoint_label_selector before 2.54: the 400 TypeError the version gate prevents.
            const auto selector = recorded.get("jobs_submit_with_entrypoint_label_selector.txt");
            const bool has_selector = check(server_of(version), capability::entrypoint_label_selector) == support::yes;
            BOOST_TEST((selector.status == 200) == has_selector, selector.status);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
