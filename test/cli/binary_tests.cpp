// Component tests: the built `raycl` binary against the in-process fake dashboard, serving
// shapes recorded from a real Ray cluster (test/fixtures/ray). Every command, table and JSON
// output, every exit code, usage errors, Ctrl-C, and a canary token that is never printed.
#include "dashboard_cli.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>

namespace raycl::cli::test {
namespace {

namespace json = boost::json;
using raycl::test::fake_dashboard;
using raycl::test::recorded_request;
using raycl::test::reply;
using raycl::test::websocket_script;

std::string job_json(const std::string& id, const std::string& status) {
    return R"({"type": "SUBMISSION", "job_id": "02000000", "submission_id": ")" + id + R"(", "status": ")" + status +
           R"(", "entrypoint": "python job.py", "message": "m", "driver_node_id": "node1", "start_time": 1795647802239})";
}

/// Every line of `text` is at most 80 columns.
bool fits_80(const std::string& text) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.size() > 80) return false;
    }
    return true;
}

/// A job `id` that is RUNNING for `running_polls` status requests, then `final_status`,
/// with this static log and a WebSocket tail sending `log` in two frames.
void install_job(fake_dashboard& dashboard, const std::string& id, int running_polls, const std::string& final_status,
                 const std::string& log, bool stall = false) {
    auto counter = std::make_shared<std::atomic<int>>(running_polls);
    dashboard.route("GET", "/api/jobs/" + id, [=](const recorded_request&) {
        return reply::json(200, job_json(id, counter->fetch_sub(1) > 0 ? "RUNNING" : final_status));
    });
    dashboard.route("GET", "/api/jobs/" + id + "/logs", [=](const recorded_request&) {
        return reply::json(200, json::serialize(json::object{{"logs", log}}));
    });
    dashboard.websocket_route("/api/jobs/" + id + "/logs/tail", [=](const recorded_request&) {
        websocket_script script;
        const auto half = log.size() / 2;
        script.send_text(log.substr(0, half)).send_text(log.substr(half));
        if (stall) return script.stall();
        return script.close(1000);
    });
}

const std::string canary = "canary-TOKEN-3f9a1c";

cli_run_options with_env(std::map<std::string, std::string> env) {
    cli_run_options options;
    options.env = std::move(env);
    return options;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_basics)

BOOST_AUTO_TEST_CASE(version_and_help_need_no_network) {
    auto r = run_cli({"--version"}, with_env({{"RAY_ADDRESS", "http://127.0.0.1:1"}}));
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out == "raycl 0.1.0\n");
    BOOST_TEST(r.err.empty());
    for (const auto& args : std::vector<std::vector<std::string>>{{"--help"},
                                                                  {"job", "--help"},
                                                                  {"job", "submit", "--help"},
                                                                  {"job", "list", "--help"},
                                                                  {"job", "status", "--help"},
                                                                  {"job", "logs", "--help"},
                                                                  {"job", "stop", "--help"},
                                                                  {"job", "delete", "--help"},
                                                                  {"job", "wait", "--help"},
                                                                  {"node", "--help"},
                                                                  {"node", "get", "--help"},
                                                                  {"task", "--help"},
                                                                  {"task", "list", "--help"},
                                                                  {"actor", "list", "--help"},
                                                                  {"serve", "--help"},
                                                                  {"serve", "deploy", "--help"},
                                                                  {"cluster", "--help"},
                                                                  {"cluster", "up", "--help"},
                                                                  {"cluster", "down", "--help"},
                                                                  {"version", "--help"}}) {
        r = run_cli(args);
        BOOST_TEST(r.exit_code == 0);
        BOOST_TEST(r.out.find("Usage: raycl") != std::string::npos);
        BOOST_TEST(r.out.find("--address URL") != std::string::npos);
        BOOST_TEST(fits_80(r.out), r.out);
    }
}

BOOST_AUTO_TEST_CASE(usage_errors_exit_2_without_requests) {
    fake_dashboard dashboard;
    for (const auto& args :
         std::vector<std::vector<std::string>>{{},
                                               {"bogus"},
                                               {"job"},
                                               {"job", "bogus"},
                                               {"job", "list", "--bogus"},
                                               {"job", "status"},
                                               {"job", "submit", "--runtime-env-json", "{oops", "--", "x"},
                                               {"job", "submit"},
                                               {"--output", "xml", "job", "list"},  // yaml became a format (issue 14)
                                               {"task", "list", "--limit", "x"},
                                               {"job", "logs", "j", "--protocol", "carrier-pigeon"},
                                               {"serve", "deploy", "/nonexistent.json"}}) {
        const auto r = raycl_at(dashboard, args);
        BOOST_TEST(r.exit_code == 2);
        BOOST_TEST(r.out.empty());
        BOOST_TEST(r.err.rfind("raycl: ", 0) == 0);
        BOOST_TEST(r.err.find("--help'.") != std::string::npos, r.err);
    }
    BOOST_TEST(dashboard.requests().empty());
}

BOOST_AUTO_TEST_CASE(request_errors_exit_3_one_line) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/raycl-nope")
        .reply_with(reply::text(404, fixture("error_job_not_found.txt")))
        .times(2);
    auto r = raycl_at(dashboard, {"job", "status", "raycl-nope"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.out.empty());
    BOOST_TEST(r.err.rfind("raycl: error 404: ", 0) == 0);
    BOOST_TEST(r.err.find("Job raycl-nope does not exist") != std::string::npos);
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    r = raycl_at(dashboard, {"job", "status", "raycl-nope", "--output", "json"});
    BOOST_TEST(r.exit_code == 3);
    const auto doc = json::parse(r.err);
    BOOST_TEST(doc.at("error").at("status").as_int64() == 404);
    BOOST_TEST(std::string(doc.at("error").at("message").as_string()).find("does not exist") != std::string::npos);
    // unreachable cluster: 503
    r = run_cli({"--address", "http://127.0.0.1:1", "--timeout", "2", "version"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err.rfind("raycl: error 503: ", 0) == 0, r.err);
    // invalid address: 400 before any I/O
    r = run_cli({"--address", "ftp://x", "job", "list"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err.rfind("raycl: error 400: ", 0) == 0, r.err);
}

BOOST_AUTO_TEST_CASE(headers_timeout_and_verbose) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, fixture("version.json")));
    const auto r = raycl_at(dashboard, {"--header", "X-Team: ml infra", "--timeout", "5", "--verbose", "version"});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(dashboard.requests().at(0).header("x-team") == "ml infra");
    BOOST_TEST(r.err.find("raycl: address " + dashboard.address() + " (from --address)") != std::string::npos, r.err);
    BOOST_TEST(r.err.find("1 requests") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(canary_token_is_sent_and_never_printed) {
    fake_dashboard dashboard(fake_dashboard::options{}.require_token(canary));
    dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, fixture("jobs_list.json"))).times(2);
    auto r = raycl_at(dashboard, {"--token", canary, "--verbose", "job", "list"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out.find(canary) == std::string::npos);
    BOOST_TEST(r.err.find(canary) == std::string::npos);
    // discovered from RAY_AUTH_TOKEN
    r = raycl_at(dashboard, {"job", "list", "-o", "json", "--verbose"}, with_env({{"RAY_AUTH_TOKEN", canary}}));
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST((r.out + r.err).find(canary) == std::string::npos);
    // a wrong token: 403, the token echoed nowhere
    r = raycl_at(dashboard, {"--token", canary + "-wrong", "--verbose", "job", "list"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err.find("raycl: error 403: ") != std::string::npos, r.err);
    BOOST_TEST((r.out + r.err).find(canary) == std::string::npos);
    r = raycl_at(dashboard, {"job", "list"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err.find("raycl: error 401: ") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(embedded_default_cluster_env_file) {
    fake_dashboard dashboard(fake_dashboard::options{}.require_token(canary));
    dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, "[]"));
    char path[] = "/tmp/raycl-cli-env-XXXXXX";
    const int fd = ::mkstemp(path);
    BOOST_REQUIRE(fd >= 0);
    const std::string text = "# test\nexport RAYCL_TEST_ADDRESS=" + dashboard.address() +
                             "\nexport RAYCL_TEST_AUTH=token\nexport RAYCL_TEST_TOKEN=" + canary + "\n";
    BOOST_REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(fd);
    auto r = run_cli({"job", "list", "--output", "json", "--verbose"}, with_env({{"RAYCL_DEFAULT_ENV_FILE", path}}));
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == "[]\n");
    BOOST_TEST(r.err.find("local cluster") != std::string::npos);
    BOOST_TEST((r.out + r.err).find(canary) == std::string::npos);
    // RAY_ADDRESS wins over the local cluster
    r = run_cli({"job", "list"}, with_env({{"RAYCL_DEFAULT_ENV_FILE", path}, {"RAY_ADDRESS", "http://127.0.0.1:1"}}));
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err.find("error 503") != std::string::npos, r.err);
    ::unlink(path);
}

BOOST_AUTO_TEST_CASE(startup_is_fast) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, fixture("jobs_list.json"))).repeatedly();
    const int runs = 20;
    double version_total = 0, list_total = 0;
    for (int i = 0; i < runs; ++i) {
        const auto v = run_cli({"--version"});
        BOOST_REQUIRE(v.exit_code == 0);
        version_total += v.seconds;
        const auto l = raycl_at(dashboard, {"job", "list"});
        BOOST_REQUIRE(l.exit_code == 0);
        list_total += l.seconds;
    }
    BOOST_TEST_MESSAGE("raycl --version: " << version_total / runs * 1000 << " ms, raycl job list (fake): "
                                           << list_total / runs * 1000 << " ms (mean of " << runs << " runs)");
    BOOST_TEST(version_total / runs < 0.5);
    BOOST_TEST(list_total / runs < 1.0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_jobs)

BOOST_AUTO_TEST_CASE(job_list_table_and_json) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, fixture("jobs_list.json"))).times(2);
    auto r = raycl_at(dashboard, {"job", "list"});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out.rfind("SUBMISSION_ID", 0) == 0);
    BOOST_TEST(r.out.find("raycl-ok-2") != std::string::npos);
    BOOST_TEST(r.out.find("SUCCEEDED") != std::string::npos);
    BOOST_TEST(r.out.find("FAILED") != std::string::npos);
    BOOST_TEST(r.out.find('\033') == std::string::npos);  // not a TTY: no colour
    BOOST_TEST(fits_80(r.out), r.out);
    r = raycl_at(dashboard, {"job", "list", "--output", "json"});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(json::parse(r.out) == json::parse(fixture("jobs_list.json")));
}

BOOST_AUTO_TEST_CASE(job_status_table_and_json) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/jobs/raycl-ok-2")
        .reply_with(reply::json(200, fixture("jobs_get_succeeded.json")))
        .times(2);
    auto r = raycl_at(dashboard, {"job", "status", "raycl-ok-2"});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out.find("status") != std::string::npos);
    BOOST_TEST(r.out.find("SUCCEEDED") != std::string::npos);
    BOOST_TEST(fits_80(r.out), r.out);
    r = raycl_at(dashboard, {"-o", "json", "job", "status", "raycl-ok-2"});
    BOOST_TEST(json::parse(r.out) == json::parse(fixture("jobs_get_succeeded.json")));
}

BOOST_AUTO_TEST_CASE(job_logs_static_prints_the_exact_text) {
    fake_dashboard dashboard;
    const auto log = std::string(json::parse(fixture("jobs_logs_succeeded.json")).at("logs").as_string());
    dashboard.expect("GET", "/api/jobs/raycl-ok-2/logs")
        .reply_with(reply::json(200, fixture("jobs_logs_succeeded.json")))
        .times(2);
    auto r = raycl_at(dashboard, {"job", "logs", "raycl-ok-2"});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out == log);
    r = raycl_at(dashboard, {"job", "logs", "raycl-ok-2", "--output", "json"});
    BOOST_TEST(r.out == log);  // logs are always raw text
}

BOOST_AUTO_TEST_CASE(job_logs_follow_websocket_and_stream) {
    fake_dashboard dashboard;
    const std::string log = "one\ntwo\nthree without newline";
    install_job(dashboard, "raysubmit_f", 0, "SUCCEEDED", log);
    auto r = raycl_at(dashboard,
                      {"job", "logs", "raysubmit_f", "--follow", "--protocol", "websocket", "--stream-timeout", "5"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == log);
    r = raycl_at(dashboard, {"job", "logs", "raysubmit_f", "--follow"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == log);
}

BOOST_AUTO_TEST_CASE(job_submit_follows_and_exits_by_status) {
    fake_dashboard dashboard;
    const std::string log = "hello\nworld\n";
    dashboard.route("POST", "/api/jobs/", [](const recorded_request& request) {
        const auto body = json::parse(request.body);
        return reply::json(
            200, json::serialize(json::object{{"job_id", "02000000"}, {"submission_id", body.at("submission_id")}}));
    });
    install_job(dashboard, "raycl-cli-ok", 1, "SUCCEEDED", log);
    install_job(dashboard, "raycl-cli-bad", 0, "FAILED", log);
    auto r = raycl_at(dashboard, {"job",
                                  "submit",
                                  "--submission-id",
                                  "raycl-cli-ok",
                                  "--runtime-env-json",
                                  R"({"env_vars": {"A": "1"}})",
                                  "--metadata-json",
                                  R"({"owner": "cli"})",
                                  "--entrypoint-num-cpus",
                                  "0.5",
                                  "--entrypoint-num-gpus",
                                  "0",
                                  "--entrypoint-memory",
                                  "1000000",
                                  "--entrypoint-resources",
                                  R"({"custom": 1})",
                                  "--",
                                  "python",
                                  "-c",
                                  "print('hello')"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == log);
    BOOST_TEST(r.err.find("submitted job raycl-cli-ok") != std::string::npos, r.err);
    BOOST_TEST(r.err.find("SUCCEEDED") != std::string::npos, r.err);
    const auto post = dashboard.requests().at(0);
    BOOST_TEST(post.method == "POST");
    const auto body = json::parse(post.body);
    BOOST_TEST(body.at("entrypoint").as_string() == "python -c 'print('\\''hello'\\'')'");
    BOOST_TEST(body.at("runtime_env").at("env_vars").at("A").as_string() == "1");
    BOOST_TEST(body.at("metadata").at("owner").as_string() == "cli");
    BOOST_TEST(body.at("entrypoint_num_cpus").to_number<double>() == 0.5);
    BOOST_TEST(body.at("entrypoint_memory").to_number<std::int64_t>() == 1000000);
    BOOST_TEST(body.at("entrypoint_resources").at("custom").to_number<double>() == 1.0);

    r = raycl_at(dashboard, {"job", "submit", "--submission-id", "raycl-cli-bad", "--", "false"});
    BOOST_TEST(r.exit_code == 1, r.err);
    BOOST_TEST(r.out == log);
    BOOST_TEST(r.err.find("FAILED") != std::string::npos, r.err);
}

BOOST_AUTO_TEST_CASE(job_submit_no_wait) {
    fake_dashboard dashboard;
    dashboard.expect("POST", "/api/jobs/").reply_with(reply::json(200, fixture("jobs_submit.json"))).times(2);
    auto r = raycl_at(dashboard, {"job", "submit", "--submission-id", "raycl-ok-1", "--no-wait", "--", "echo hi"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == "raycl-ok-1\n");
    BOOST_TEST(json::parse(dashboard.requests().at(0).body).at("entrypoint").as_string() == "echo hi");
    r = raycl_at(dashboard,
                 {"-o", "json", "job", "submit", "--submission-id", "raycl-ok-1", "--no-wait", "--", "echo"});
    BOOST_TEST(json::parse(r.out) == json::parse(R"({"submission_id": "raycl-ok-1"})"));
    BOOST_TEST(dashboard.requests().size() == 2u);  // nothing after the submission
}

BOOST_AUTO_TEST_CASE(job_wait_exit_codes_and_timeout) {
    fake_dashboard dashboard;
    install_job(dashboard, "j-ok", 2, "SUCCEEDED", "");
    install_job(dashboard, "j-failed", 1, "FAILED", "");
    install_job(dashboard, "j-stopped", 0, "STOPPED", "");
    install_job(dashboard, "j-forever", 1000000, "SUCCEEDED", "");
    auto r = raycl_at(dashboard, {"job", "wait", "j-ok"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == "job j-ok SUCCEEDED\n");
    BOOST_TEST(r.err.empty());  // no spinner when piped
    r = raycl_at(dashboard, {"job", "wait", "j-failed", "-o", "json"});
    BOOST_TEST(r.exit_code == 1);
    BOOST_TEST(json::parse(r.out).at("status").as_string() == "FAILED");
    r = raycl_at(dashboard, {"job", "wait", "j-stopped"});
    BOOST_TEST(r.exit_code == 1);
    r = raycl_at(dashboard, {"job", "wait", "j-forever", "--timeout", "0.6"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err.rfind("raycl: error 408: ", 0) == 0, r.err);
    BOOST_TEST(r.seconds < 10.0);
}

BOOST_AUTO_TEST_CASE(job_stop_and_delete) {
    fake_dashboard dashboard;
    dashboard.expect("POST", "/api/jobs/j-run/stop")
        .reply_with(reply::json(200, fixture("jobs_stop_running.json")))
        .times(3);
    dashboard.expect("POST", "/api/jobs/j-done/stop").reply_with(reply::json(200, fixture("jobs_stop_terminal.json")));
    install_job(dashboard, "j-run", 1, "STOPPED", "");
    dashboard.expect("DELETE", "/api/jobs/j-done")
        .reply_with(reply::json(200, fixture("jobs_delete_terminal.json")))
        .times(2);
    dashboard.expect("DELETE", "/api/jobs/j-run").reply_with(reply::text(500, fixture("error_job_delete_running.txt")));
    auto r = raycl_at(dashboard, {"job", "stop", "j-run"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == "stopping job j-run\n");
    r = raycl_at(dashboard, {"job", "stop", "j-run", "-o", "json"});
    BOOST_TEST(json::parse(r.out) == json::parse(R"({"stopped": true})"));
    r = raycl_at(dashboard, {"job", "stop", "j-done"});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out == "job j-done had already ended\n");
    r = raycl_at(dashboard, {"job", "stop", "j-run", "--wait"});
    BOOST_TEST(r.exit_code == 1, r.err);  // the job ended STOPPED
    BOOST_TEST(r.out == "job j-run STOPPED\n");
    r = raycl_at(dashboard, {"job", "delete", "j-done"});
    BOOST_TEST(r.exit_code == 0);
    BOOST_TEST(r.out == "deleted job j-done\n");
    r = raycl_at(dashboard, {"job", "delete", "j-done", "-o", "json"});
    BOOST_TEST(json::parse(r.out) == json::parse(R"({"deleted": true})"));
    r = raycl_at(dashboard, {"job", "delete", "j-run"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err.rfind("raycl: error 400: ", 0) == 0, r.err);
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(ctrl_c_stops_following_and_the_job_keeps_running) {
    fake_dashboard dashboard;
    install_job(dashboard, "j-long", 1000000, "SUCCEEDED", "first\nsecond\n", /*stall=*/true);
    cli_run_options options;
    options.interrupt_when = [](const std::string& out) { return out.find("second\n") != std::string::npos; };
    options.timeout = std::chrono::milliseconds(20000);
    const auto r = raycl_at(dashboard, {"job", "logs", "j-long", "--follow", "--protocol", "websocket"}, options);
    BOOST_TEST(r.exit_code == 130, r.err);
    BOOST_TEST(r.out == "first\nsecond\n");
    BOOST_TEST(r.err.find("keeps running") != std::string::npos, r.err);
    BOOST_TEST(r.seconds < 10.0);
    const auto requests = dashboard.requests();
    BOOST_TEST(std::none_of(requests.begin(), requests.end(),
                            [](const recorded_request& q) { return q.method == "POST"; }));  // nothing stopped
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cli_state_serve)

BOOST_AUTO_TEST_CASE(nodes) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/nodes").reply_with(reply::json(200, fixture("state_nodes.json"))).times(2);
    const std::string id = "22f1c7b8cfcad68da3df891889947caa91b764c9b3a188c191b538eb";  // first row
    dashboard.expect("GET", "/api/v0/nodes?detail=true&filter_keys=node_id&filter_predicates=%3D&filter_values=" + id)
        .reply_with(reply::json(200, fixture("state_nodes.json")))
        .times(2);
    auto r = raycl_at(dashboard, {"node", "list"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out.rfind("NODE_ID", 0) == 0);
    BOOST_TEST(r.out.find(id) != std::string::npos);
    BOOST_TEST(fits_80(r.out), r.out);
    r = raycl_at(dashboard, {"node", "list", "-o", "json"});
    BOOST_TEST(json::parse(r.out) == json::parse(fixture("state_nodes.json")).at("data").at("result").at("result"));
    r = raycl_at(dashboard, {"node", "get", id});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out.find("node_ip") != std::string::npos);
    r = raycl_at(dashboard, {"node", "get", id, "-o", "json"});
    BOOST_TEST(json::parse(r.out).at("node_id").as_string() == id);
}

BOOST_AUTO_TEST_CASE(tasks) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/tasks").reply_with(reply::json(200, fixture("state_tasks.json")));
    dashboard
        .expect("GET", "/api/v0/tasks?limit=1&detail=true&filter_keys=name&filter_predicates=%3D&filter_values=square")
        .reply_with(reply::json(200, fixture("state_tasks_filter_name_limit1.json")));
    const auto rows = json::parse(fixture("state_tasks.json")).at("data").at("result").at("result").as_array();
    const std::string id(rows.at(0).at("task_id").as_string());
    dashboard.expect("GET", "/api/v0/tasks?detail=true&filter_keys=task_id&filter_predicates=%3D&filter_values=" + id)
        .reply_with(reply::json(200, fixture("state_tasks.json")));
    auto r = raycl_at(dashboard, {"task", "list"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out.rfind("TASK_ID", 0) == 0);
    BOOST_TEST(fits_80(r.out), r.out);
    r = raycl_at(dashboard, {"task", "list", "--limit", "1", "--filter", "name=square", "--detail", "-o", "json"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(json::parse(r.out).as_array().size() == 1u);
    r = raycl_at(dashboard, {"task", "get", id, "-o", "json"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(json::parse(r.out).at("task_id").as_string() == id);
    BOOST_TEST(dashboard.unmatched().empty());
}

BOOST_AUTO_TEST_CASE(actors) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/v0/actors").reply_with(reply::json(200, fixture("state_actors.json"))).times(2);
    const std::string id = "0ec9b30f04936e9dc3b7be9602000000";
    dashboard.expect("GET", "/api/v0/actors?detail=true&filter_keys=actor_id&filter_predicates=%3D&filter_values=" + id)
        .reply_with(reply::json(200, fixture("state_actors.json")));
    auto r = raycl_at(dashboard, {"actor", "list"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out.find("Counter") != std::string::npos);
    BOOST_TEST(fits_80(r.out), r.out);
    r = raycl_at(dashboard, {"actor", "list", "-o", "json"});
    BOOST_TEST(json::parse(r.out).as_array().size() == 4u);
    r = raycl_at(dashboard, {"actor", "get", id});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out.find("Counter") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(serve) {
    fake_dashboard dashboard;
    // Serve runs until the DELETE; shutdown then waits until the dashboard reports no controller.
    auto shut_down = std::make_shared<std::atomic<bool>>(false);
    dashboard.route("GET", "/api/serve/applications/", [shut_down](const raycl::test::recorded_request&) {
        return reply::json(200, fixture(*shut_down ? "serve_get_not_running.json" : "serve_get_mixed.json"));
    });
    dashboard.expect("PUT", "/api/serve/applications/").reply_with(reply::text(200, "")).times(2);
    dashboard.route("DELETE", "/api/serve/applications/", [shut_down](const raycl::test::recorded_request&) {
        *shut_down = true;
        return reply::text(200, "");
    });
    auto r = raycl_at(dashboard, {"serve", "list"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out.rfind("APPLICATION", 0) == 0);
    BOOST_TEST(r.out.find("imperative_hello") != std::string::npos);
    BOOST_TEST(fits_80(r.out), r.out);
    r = raycl_at(dashboard, {"serve", "list", "-o", "json"});
    BOOST_TEST(json::parse(r.out) == json::parse(fixture("serve_get_mixed.json")));
    r = raycl_at(dashboard, {"serve", "get", "echo"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out.find("declarative") != std::string::npos);
    r = raycl_at(dashboard, {"serve", "get", "echo", "-o", "json"});
    BOOST_TEST(json::parse(r.out).at("name").as_string() == "echo");
    r = raycl_at(dashboard, {"serve", "get", "nope"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err.rfind("raycl: error 404: ", 0) == 0, r.err);
    // deploy from a file and from stdin
    const std::string config =
        R"({"applications": [{"name": "echo", "route_prefix": "/echo", "import_path": "fixture:echo_app"}]})";
    char path[] = "/tmp/raycl-cli-serve-XXXXXX";
    const int fd = ::mkstemp(path);
    BOOST_REQUIRE(::write(fd, config.data(), config.size()) == static_cast<ssize_t>(config.size()));
    ::close(fd);
    r = raycl_at(dashboard, {"serve", "deploy", path});
    BOOST_TEST(r.exit_code == 0, r.err);
    ::unlink(path);
    cli_run_options from_stdin;
    from_stdin.stdin_text = config;
    r = raycl_at(dashboard, {"serve", "deploy", "-", "-o", "json"}, from_stdin);
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(json::parse(r.out) == json::parse(R"({"deployed": true})"));
    const auto requests = dashboard.requests();
    const auto put = std::find_if(requests.begin(), requests.end(), [](const auto& q) { return q.method == "PUT"; });
    BOOST_REQUIRE(put != requests.end());
    BOOST_TEST(json::parse(put->body) == json::parse(config));
    r = raycl_at(dashboard, {"serve", "delete", "imperative_hello"});
    BOOST_TEST(r.exit_code == 3);  // imperative apps cannot be removed declaratively
    BOOST_TEST(r.err.rfind("raycl: error 400: ", 0) == 0, r.err);
    r = raycl_at(dashboard, {"serve", "shutdown"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == "Serve is shut down\n");
    const auto after = dashboard.requests();
    BOOST_TEST(std::count_if(after.begin(), after.end(), [](const auto& q) { return q.method == "DELETE"; }) == 1);
    BOOST_TEST(after.back().method == "GET");  // the check that Serve is gone
}

BOOST_AUTO_TEST_CASE(version_table_and_json) {
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, fixture("version.json"))).times(2);
    auto r = raycl_at(dashboard, {"version"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out.find("client  raycl 0.1.0") != std::string::npos);
    BOOST_TEST(r.out.find("server  Ray 2.60.0") != std::string::npos);
    r = raycl_at(dashboard, {"version", "--output", "json"});
    const auto doc = json::parse(r.out);
    BOOST_TEST(doc.at("client").at("raycl").as_string() == "0.1.0");
    BOOST_TEST(doc.at("server") == json::parse(fixture("version.json")));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::cli::test
