#include "core/requests.hpp"
#include "core/validation.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/json/parse.hpp>
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>
#include <vector>

using namespace raycl;
using namespace raycl::core;
using raycl::test::expect_client_error;
namespace json = boost::json;

namespace {

std::set<std::string> keys_of(const json::object& object) {
    std::set<std::string> keys;
    for (const auto& entry : object) keys.emplace(entry.key());
    return keys;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(requests_tests)

BOOST_AUTO_TEST_CASE(job_routes) {
    BOOST_TEST(version_request().target == "/api/version");
    BOOST_TEST(list_jobs_request().target == "/api/jobs/");  // aiohttp: no slash is a 404
    BOOST_TEST(list_jobs_request().describe() == "GET /api/jobs/");

    request_spec get = get_job_request("raysubmit_AbC123");
    BOOST_TEST(get.target == "/api/jobs/raysubmit_AbC123");
    BOOST_TEST(to_string(get.method) == "GET");
    BOOST_TEST(get.idempotent);
    BOOST_TEST(get.body.empty());

    BOOST_TEST(job_logs_request("02000000").target == "/api/jobs/02000000/logs");

    request_spec stop = stop_job_request("abc");
    BOOST_TEST(stop.describe() == "POST /api/jobs/abc/stop");
    BOOST_TEST(!stop.idempotent);

    request_spec del = delete_job_request("abc");
    BOOST_TEST(del.describe() == "DELETE /api/jobs/abc");
    BOOST_TEST(del.idempotent);
}

BOOST_AUTO_TEST_CASE(job_routes_validate_ids_before_building) {
    for (const std::string& bad :
         std::vector<std::string>{"", "../x", "a/b", "a%2Fb", "abc\n", std::string(101, 'a')}) {
        BOOST_TEST_CONTEXT("id '" << bad << "'") {
            expect_client_error(error_kind::invalid_argument, [&] { get_job_request(bad); });
            expect_client_error(error_kind::invalid_argument, [&] { job_logs_request(bad); });
            expect_client_error(error_kind::invalid_argument, [&] { stop_job_request(bad); });
            expect_client_error(error_kind::invalid_argument, [&] { delete_job_request(bad); });
        }
    }
}

BOOST_AUTO_TEST_CASE(percent_encoding) {
    BOOST_TEST(percent_encode_segment("AZaz09-._~") == "AZaz09-._~");
    BOOST_TEST(percent_encode_segment("a b/c%d?e#f") == "a%20b%2Fc%25d%3Fe%23f");
    BOOST_TEST(percent_encode_segment("caf\xC3\xA9") == "caf%C3%A9");
    BOOST_TEST(percent_encode_segment("..") == "%2E%2E");
    BOOST_TEST(percent_encode_segment(".") == "%2E");
    BOOST_TEST(percent_encode_segment("v1.2") == "v1.2");
    BOOST_TEST(percent_encode_segment(std::string("a\0b", 3)) == "a%00b");
    BOOST_TEST(percent_encode_query("a=b&c+d") == "a%3Db%26c%2Bd");
    BOOST_TEST(percent_encode_segment("") == "");
}

BOOST_AUTO_TEST_CASE(minimal_submit_sends_only_entrypoint_and_id) {
    job_submission submission;
    submission.entrypoint = "python script.py";
    request_spec spec = submit_job_request(submission, "raycl_0123456789abcdef");
    BOOST_TEST(spec.describe() == "POST /api/jobs/");
    BOOST_TEST(spec.json_body);
    BOOST_TEST(spec.idempotent);
    json::object body = json::parse(spec.body).as_object();
    BOOST_TEST((keys_of(body) == std::set<std::string>{"entrypoint", "submission_id"}));
    BOOST_TEST(body.at("entrypoint").as_string() == "python script.py");
    BOOST_TEST(body.at("submission_id").as_string() == "raycl_0123456789abcdef");
}

BOOST_AUTO_TEST_CASE(full_submit_sends_every_set_field) {
    job_submission submission;
    submission.entrypoint = "echo \"hi\"";
    submission.submission_id = "mine";
    submission.runtime_env = json::object{{"env_vars", json::object{{"A", "1"}}}};
    submission.metadata = std::map<std::string, std::string>{{"owner", "me"}};
    submission.entrypoint_num_cpus = 1.5;
    submission.entrypoint_num_gpus = 0.0;
    submission.entrypoint_memory = std::int64_t{1} << 33;
    submission.entrypoint_resources = std::map<std::string, double>{{"custom", 2.0}};
    submission.entrypoint_label_selector = std::map<std::string, std::string>{{"region", "us-west"}};
    json::object body = json::parse(submit_job_request(submission, "mine").body).as_object();
    BOOST_TEST(
        (keys_of(body) == std::set<std::string>{"entrypoint", "submission_id", "runtime_env", "metadata",
                                                "entrypoint_num_cpus", "entrypoint_num_gpus", "entrypoint_memory",
                                                "entrypoint_resources", "entrypoint_label_selector"}));
    BOOST_TEST(body.at("entrypoint_label_selector").at("region").as_string() == "us-west");
    BOOST_TEST(body.at("entrypoint").as_string() == "echo \"hi\"");
    BOOST_TEST(body.at("runtime_env").at("env_vars").at("A").as_string() == "1");
    BOOST_TEST(body.at("metadata").at("owner").as_string() == "me");
    BOOST_TEST(body.at("entrypoint_num_cpus").as_double() == 1.5);
    BOOST_TEST(body.at("entrypoint_num_gpus").as_double() == 0.0);
    BOOST_TEST(body.at("entrypoint_memory").as_int64() == (std::int64_t{1} << 33));
    BOOST_TEST(body.at("entrypoint_resources").at("custom").as_double() == 2.0);
}

BOOST_AUTO_TEST_CASE(package_routes_take_gcs_uris_with_a_package_extension) {
    const auto exists = package_exists_request("gcs://_ray_pkg_f8d5762438b1d103.zip");
    BOOST_TEST(exists.target == "/api/packages/gcs/_ray_pkg_f8d5762438b1d103.zip");
    BOOST_TEST((exists.method == http_method::get));
    file_body file;
    file.path = "/tmp/x.whl";
    file.size = 7;
    const auto upload = package_upload_request("gcs://my_pkg-1.0-py3-none-any.whl", file);
    BOOST_TEST(upload.target == "/api/packages/gcs/my_pkg-1.0-py3-none-any.whl");
    BOOST_TEST((upload.method == http_method::put));
    BOOST_TEST(upload.idempotent);
    BOOST_TEST(!upload.json_body);
    BOOST_REQUIRE(upload.body_file);
    BOOST_TEST(upload.body_file->path == "/tmp/x.whl");
    BOOST_TEST(upload.body_file->size == 7u);
    for (const char* bad : {"s3://b/x.zip", "gcs://", "gcs://x.txt", "gcs://a/b.zip", "gcs://x.zip?sig=1", "x.zip"})
        expect_client_error(error_kind::invalid_argument, [&] { package_exists_request(bad); });
}

BOOST_AUTO_TEST_CASE(submit_validates_before_building) {
    job_submission empty;
    expect_client_error(error_kind::invalid_argument, [&] { submit_job_request(empty, "abc"); });
    job_submission good;
    good.entrypoint = "true";
    expect_client_error(error_kind::invalid_argument, [&] { submit_job_request(good, "a/b"); });
    expect_client_error(error_kind::invalid_argument, [&] { submit_job_request(good, ""); });
}

BOOST_AUTO_TEST_CASE(state_list_query_in_order) {
    list_options options;
    options.limit = 50;
    options.detail = true;
    options.server_timeout_seconds = 2.5;
    options.filters = {{"state", "=", "RUNNING"}, {"name", "!=", "a b&c"}};
    request_spec spec = state_list_request("tasks", options);
    BOOST_TEST(spec.describe() ==
               "GET /api/v0/tasks?limit=50&detail=true&timeout=3"
               "&filter_keys=state&filter_predicates=%3D&filter_values=RUNNING"
               "&filter_keys=name&filter_predicates=%21%3D&filter_values=a%20b%26c");
    BOOST_TEST(spec.idempotent);
}

BOOST_AUTO_TEST_CASE(state_list_defaults_send_no_query) {
    BOOST_TEST(state_list_request("nodes", {}).target == "/api/v0/nodes");
    list_options options;
    options.server_timeout_seconds = 30.0;
    BOOST_TEST(state_list_request("actors", options).target == "/api/v0/actors?timeout=30");
}

BOOST_AUTO_TEST_CASE(state_list_validates_options) {
    list_options options;
    options.limit = 10001;
    expect_client_error(error_kind::invalid_argument, [&] { state_list_request("nodes", options); });
    options.limit = 10;
    options.filters = {{"state", "~", "x"}};
    expect_client_error(error_kind::invalid_argument, [&] { state_list_request("nodes", options); });
}

BOOST_AUTO_TEST_CASE(state_get_is_a_filtered_detailed_list) {
    BOOST_TEST(state_get_request("actors", "actor_id", "31cc2a").target ==
               "/api/v0/actors?detail=true&filter_keys=actor_id&filter_predicates=%3D&filter_values=31cc2a");
    client_error error =
        expect_client_error(error_kind::invalid_argument, [] { state_get_request("nodes", "node_id", "a/b"); });
    BOOST_TEST(error.message() == "Invalid node ID format");
}

BOOST_AUTO_TEST_CASE(serve_routes) {
    BOOST_TEST(serve_list_request().describe() == "GET /api/serve/applications/");
    BOOST_TEST(serve_list_request("declarative").target == "/api/serve/applications/?api_type=declarative");
    BOOST_TEST(serve_list_request("imperative").target == "/api/serve/applications/?api_type=imperative");
    expect_client_error(error_kind::invalid_argument, [] { serve_list_request("all"); });

    json::object config{{"applications", json::array{json::object{{"name", "a b"}, {"import_path", "m:app"}}}}};
    request_spec deploy = serve_deploy_request(config);
    BOOST_TEST(deploy.describe() == "PUT /api/serve/applications/");
    BOOST_TEST(deploy.json_body);
    BOOST_TEST(deploy.idempotent);
    BOOST_TEST(json::parse(deploy.body) == json::value(config));

    request_spec shutdown = serve_shutdown_request();
    BOOST_TEST(shutdown.describe() == "DELETE /api/serve/applications/");
    BOOST_TEST(shutdown.idempotent);
}

BOOST_AUTO_TEST_CASE(generated_submission_ids) {
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) {
        std::string id = generate_submission_id();
        BOOST_TEST(id.size() == 22u);
        BOOST_TEST(id.starts_with("raycl_"));
        BOOST_TEST(id.substr(6).find_first_not_of("0123456789abcdef") == std::string::npos);
        BOOST_CHECK_NO_THROW(validate_resource_id("submission", id));
        seen.insert(id);
    }
    BOOST_TEST(seen.size() == 100u);
}

BOOST_AUTO_TEST_SUITE_END()
