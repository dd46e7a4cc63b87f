// Decodes the responses recorded from a real Ray 2.60 head (test/fixtures/ray/, raw bodies
// named after the route): every success payload must decode, every error body must classify.
#include "core/models_json.hpp"
#include "core/responses.hpp"
#include "unit/ray_fixtures.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace raycl;
using namespace raycl::core;
using raycl::test::contains;
using raycl::test::expect_client_error;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

const fs::path& fixture_dir = raycl::test::ray_fixture_dir;
using raycl::test::read_json;
using raycl::test::read_text;

// Fixture files whose name starts with `prefix` and ends with `suffix`, sorted; `exclude`
// drops names containing it.
std::vector<fs::path> fixtures(std::string_view prefix, std::string_view suffix, std::string_view exclude = {}) {
    std::vector<fs::path> found;
    if (!fs::is_directory(fixture_dir)) return found;
    for (const auto& entry : fs::directory_iterator(fixture_dir)) {
        std::string name = entry.path().filename().string();
        if (name.starts_with(prefix) && name.ends_with(suffix) && (exclude.empty() || !contains(name, exclude)))
            found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
    return found;
}

template <class T>
void check_state_lists(std::string_view prefix, T (*decode_row)(json::value), std::string_view exclude = {}) {
    std::vector<fs::path> files = fixtures(prefix, ".json", exclude);
    BOOST_TEST(!files.empty());
    for (const fs::path& path : files) {
        BOOST_TEST_CONTEXT(path.filename().string()) {
            list_result<T> list = decode_state_list(read_json(path), decode_row);
            BOOST_TEST(static_cast<std::int64_t>(list.items.size()) <= list.num_filtered);
            BOOST_TEST(list.num_after_truncation <= list.total);
            std::string name = path.filename().string();
            if (contains(name, "limit1")) BOOST_TEST(list.items.size() <= 1u);
            if (contains(name, "nomatch") || contains(name, "unknown_id")) BOOST_TEST(list.items.empty());
            for (const T& row : list.items) BOOST_TEST(!row.raw->empty());
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(fixture_tests)

BOOST_AUTO_TEST_CASE(version) {
    std::vector<fs::path> files = fixtures("version", ".json");
    BOOST_TEST(!files.empty());
    for (const fs::path& path : files) {
        version_info info = decode_version(read_json(path));
        BOOST_TEST(info.version == "4");
        BOOST_TEST(info.ray_version.starts_with("2."));
        BOOST_TEST(!info.session_name.empty());
    }
}

BOOST_AUTO_TEST_CASE(job_details_of_every_status) {
    std::vector<fs::path> files = fixtures("jobs_get_", ".json", "_logs");
    BOOST_TEST(!files.empty());
    for (const fs::path& path : files) {
        BOOST_TEST_CONTEXT(path.filename().string()) {
            job_details job = decode_job_details(read_json(path));
            BOOST_TEST(job.status != job_status::unknown);
            BOOST_TEST(job.type == job_type::submission);
            BOOST_TEST(job.submission_id.has_value());
            BOOST_TEST(!job.entrypoint.empty());
            std::string name = path.filename().string();
            if (contains(name, "succeeded")) {
                BOOST_TEST(job.status == job_status::succeeded);
                BOOST_TEST(job.end_time.has_value());
                BOOST_TEST(job.driver_info.has_value());
            }
            if (contains(name, "failed")) BOOST_TEST(job.status == job_status::failed);
            if (contains(name, "running")) {
                BOOST_TEST(job.status == job_status::running);
                BOOST_REQUIRE(job.driver_info.has_value());
                BOOST_TEST(!job.driver_info->pid.empty());
            }
            if (contains(name, "pending")) BOOST_TEST(!job.is_terminal());
        }
    }
}

BOOST_AUTO_TEST_CASE(job_list) {
    std::vector<fs::path> files = fixtures("jobs_list", ".json");
    BOOST_TEST(!files.empty());
    for (const fs::path& path : files) {
        std::vector<job_details> jobs = decode_job_list(read_json(path));
        BOOST_TEST(!jobs.empty());
        for (const job_details& job : jobs) BOOST_TEST(!job.status_text.empty());
    }
}

BOOST_AUTO_TEST_CASE(small_job_answers) {
    std::vector<fs::path> logs = fixtures("jobs_logs_", ".json");
    for (const fs::path& path : fixtures("jobs_get_", "_logs.json")) logs.push_back(path);
    BOOST_TEST(!logs.empty());
    for (const fs::path& path : logs) {
        BOOST_TEST_CONTEXT(path.filename().string()) {
            std::string text = decode_job_logs(read_json(path));
            if (contains(path.filename().string(), "succeeded")) BOOST_TEST(contains(text, "raycl job: start"));
        }
    }
    std::vector<fs::path> stops = fixtures("jobs_stop_", ".json");
    BOOST_TEST(!stops.empty());
    for (const fs::path& path : stops) BOOST_TEST_CONTEXT(path.filename().string()) {
            BOOST_CHECK_NO_THROW(decode_stopped(read_json(path)));
        }
    std::vector<fs::path> deletes = fixtures("jobs_delete_", ".json");
    BOOST_TEST(!deletes.empty());
    for (const fs::path& path : deletes) BOOST_TEST(decode_deleted(read_json(path)));
    std::vector<fs::path> submits = fixtures("jobs_submit", ".json");
    BOOST_TEST(!submits.empty());
    for (const fs::path& path : submits) BOOST_TEST(!decode_submission_id(read_json(path)).empty());
}

BOOST_AUTO_TEST_CASE(state_lists) {
    check_state_lists("state_nodes", &decode_node);
    check_state_lists("state_tasks", &decode_task, "summarize");
    check_state_lists("state_actors", &decode_actor, "summarize");
}

BOOST_AUTO_TEST_CASE(serve_instances) {
    // Recorded only when the cluster had ray[serve]; nothing to check otherwise.
    for (const fs::path& path : fixtures("serve_applications", ".json")) {
        BOOST_TEST_CONTEXT(path.filename().string()) {
            serve_instance instance = decode_serve_instance(read_json(path));
            for (const serve_application& app : instance.applications) BOOST_TEST(!app.name.empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(failed_state_queries) {
    std::vector<fs::path> files = fixtures("error_state_", ".json");
    BOOST_TEST(!files.empty());
    for (const fs::path& path : files) {
        BOOST_TEST_CONTEXT(path.filename().string()) {
            json::value body = read_json(path);
            std::string msg(body.at("msg").as_string());
            client_error error =
                expect_client_error(error_kind::server_error, [&] { decode_state_list(body, &decode_task); });
            BOOST_TEST(contains(error.message(), msg.substr(0, std::min<std::size_t>(msg.size(), 40))));
        }
    }
}

BOOST_AUTO_TEST_CASE(error_bodies) {
    std::vector<fs::path> files = fixtures("error_", ".txt");
    BOOST_TEST(!files.empty());
    const request_spec request = list_jobs_request();
    for (const fs::path& path : files) {
        BOOST_TEST_CONTEXT(path.filename().string()) {
            std::string body = read_text(path);
            auto error = classify_status(request, 500, body, {});
            BOOST_REQUIRE(error.has_value());
            BOOST_TEST(!contains(error->message(), "Traceback (most recent call last)"));
            BOOST_TEST(!error->message().ends_with(": ."));
            BOOST_TEST(error->server_body().size() <= 2048u);
        }
    }
    std::vector<fs::path> duplicates = fixtures("error_jobs_submit_duplicate", ".txt");
    BOOST_TEST(!duplicates.empty());
    for (const fs::path& path : duplicates) {
        std::string body = read_text(path);
        BOOST_TEST(is_duplicate_submission(500, body));
        // The summary is the exception, not the lone "." Ray's agent appends.
        BOOST_TEST(contains(classify_status(request, 500, body, {})->message(),
                            "HTTP 500: ValueError: Job with submission_id"));
    }
    for (const fs::path& path : fixtures("error_job_delete_running", ".txt")) {
        BOOST_TEST(contains(classify_status(request, 500, read_text(path), {})->message(),
                            "HTTP 500: RuntimeError: Attempted to delete job"));
    }
}

BOOST_AUTO_TEST_SUITE_END()
