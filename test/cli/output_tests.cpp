// Component tests of --output yaml (every command that prints data prints the same objects as
// with --output json), YAML Serve configs, and --watch on a pipe (the first listing, then only
// changes), against the fake dashboard.
#include "run_binary.hpp"
#include "support/fake_dashboard.hpp"

#include "core/yaml_json.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace raycl::cli::test {
namespace {

namespace json = boost::json;
using raycl::test::fake_dashboard;
using raycl::test::recorded_request;
using raycl::test::reply;

std::string recorded(const std::string& name) {
    std::ifstream file(raycl::test::fixture_dir() + "/ray/" + name, std::ios::binary);
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

/// A fake answering every route the data commands use, with recorded Ray responses.
void serve_recorded_cluster(fake_dashboard& dashboard) {
    const std::pair<const char*, const char*> routes[] = {
        {"/api/jobs/", "jobs_list.json"},         {"/api/jobs/raycl-ok-2", "jobs_get_succeeded.json"},
        {"/api/v0/nodes*", "state_nodes.json"},   {"/api/v0/tasks*", "state_tasks.json"},
        {"/api/v0/actors*", "state_actors.json"}, {"/api/version", "version.json"},
    };
    // Serve runs from a PUT until a DELETE (shutdown waits until the dashboard reports no controller).
    auto serve_running = std::make_shared<std::atomic<bool>>(true);
    dashboard.route("GET", "/api/serve/applications/", [serve_running](const raycl::test::recorded_request&) {
        return reply::json(200, recorded(*serve_running ? "serve_get_mixed.json" : "serve_get_not_running.json"));
    });
    dashboard.route("PUT", "/api/serve/applications/", [serve_running](const raycl::test::recorded_request&) {
        *serve_running = true;
        return reply::text(200, "");
    });
    dashboard.route("DELETE", "/api/serve/applications/", [serve_running](const raycl::test::recorded_request&) {
        *serve_running = false;
        return reply::text(200, "");
    });
    for (const auto& [target, file] : routes)
        dashboard.expect("GET", target).reply_with(reply::json(200, recorded(file))).repeatedly();
    dashboard.expect("POST", "/api/jobs/raycl-ok-2/stop")
        .reply_with(reply::json(200, recorded("jobs_stop_terminal.json")))
        .repeatedly();
    dashboard.expect("DELETE", "/api/jobs/raycl-ok-2")
        .reply_with(reply::json(200, recorded("jobs_delete_terminal.json")))
        .repeatedly();
    dashboard.expect("POST", "/api/jobs/").reply_with(reply::json(200, recorded("jobs_submit.json"))).repeatedly();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_output)

BOOST_AUTO_TEST_CASE(yaml_prints_the_objects_json_prints) {
    fake_dashboard dashboard;
    serve_recorded_cluster(dashboard);
    const auto rows = json::parse(recorded("state_nodes.json")).at("data").at("result").at("result").as_array();
    const std::string node_id(rows.at(0).at("node_id").as_string());
    const auto tasks = json::parse(recorded("state_tasks.json")).at("data").at("result").at("result").as_array();
    const std::string task_id(tasks.at(0).at("task_id").as_string());
    const std::string config_path = "/tmp/raycl-cli-output-serve.yaml";
    std::ofstream(config_path)
        << "applications:\n  - name: echo\n    route_prefix: /echo\n    import_path: fixture:echo_app\n";
    const std::vector<std::vector<std::string>> commands = {
        {"job", "list"},
        {"job", "status", "raycl-ok-2"},
        {"job", "wait", "raycl-ok-2"},
        {"job", "stop", "raycl-ok-2"},
        {"job", "delete", "raycl-ok-2"},
        {"job", "submit", "--submission-id", "raycl-ok-1", "--no-wait", "--", "echo"},
        {"node", "list"},
        {"node", "get", node_id},
        {"task", "list"},
        {"task", "get", task_id},
        {"actor", "list"},
        {"actor", "get", "0ec9b30f04936e9dc3b7be9602000000"},
        {"serve", "list"},
        {"serve", "get", "echo"},
        {"serve", "deploy", config_path},
        {"serve", "shutdown"},
        {"version"},
        {"context", "list"},
    };
    for (const auto& command : commands) {
        auto args = command;
        args.insert(args.begin(), {"--address", dashboard.address()});
        auto as_json = args, as_yaml = args;
        as_json.insert(as_json.begin(), {"-o", "json"});
        as_yaml.insert(as_yaml.begin(), {"--output=yaml"});
        const auto j = run_cli(as_json);
        const auto y = run_cli(as_yaml);
        BOOST_TEST(j.exit_code == 0, command.front() << " " << command.at(command.size() > 1 ? 1 : 0) << j.err);
        BOOST_TEST(y.exit_code == j.exit_code, y.err);
        // JSON is YAML: both read with the same loader, so numbers compare exactly.
        const auto from_yaml = raycl::core::load_yaml(y.out);
        BOOST_TEST(from_yaml == raycl::core::load_yaml(j.out), y.out.substr(0, 400));
        BOOST_TEST(!from_yaml.is_null());
        BOOST_TEST(y.out.front() != '{');  // block YAML, not JSON
    }
    // The YAML Serve config was sent as the same JSON.
    const auto requests = dashboard.requests();
    const auto put = std::find_if(requests.begin(), requests.end(), [](const auto& q) { return q.method == "PUT"; });
    BOOST_REQUIRE(put != requests.end());
    BOOST_TEST(
        json::parse(put->body) ==
        json::parse(
            R"({"applications": [{"name": "echo", "route_prefix": "/echo", "import_path": "fixture:echo_app"}]})"));
    std::filesystem::remove(config_path);
    // Errors in YAML too.
    dashboard.expect("GET", "/api/jobs/raycl-nope").reply_with(reply::text(404, recorded("error_job_not_found.txt")));
    const auto error = run_cli({"--address", dashboard.address(), "-o", "yaml", "job", "status", "raycl-nope"});
    BOOST_TEST(error.exit_code == 3);
    const auto document = raycl::core::load_yaml(error.err);
    BOOST_TEST(document.at("error").at("status") == json::value(404));
}

BOOST_AUTO_TEST_CASE(serve_deploy_reads_yaml_and_names_the_bad_line) {
    fake_dashboard dashboard;
    const std::string path = "/tmp/raycl-cli-output-bad.yaml";
    std::ofstream(path) << "applications:\n  - name: echo\n    import_path: [unclosed\n";
    const auto r = run_cli({"--address", dashboard.address(), "serve", "deploy", path});
    BOOST_TEST(r.exit_code == 2, r.err);
    BOOST_TEST(contains(r.err, "is neither JSON nor YAML: " + path + ": line 4, column 1"), r.err);
    BOOST_TEST(dashboard.requests().empty());
    std::filesystem::remove(path);
}

BOOST_AUTO_TEST_CASE(watch_on_a_pipe_prints_only_changes) {
    // Listings: two identical ones, then b has ended, c is gone and d is new.
    auto make_job = [](const std::string& id, const std::string& status) {
        return json::object{{"type", "SUBMISSION"},
                            {"submission_id", id},
                            {"status", status},
                            {"entrypoint", "python " + id + ".py"},
                            {"start_time", 1795647802239}};
    };
    const json::array before = {make_job("job-a", "RUNNING"), make_job("job-b", "RUNNING"),
                                make_job("job-c", "PENDING")};
    const json::array after = {make_job("job-a", "RUNNING"), make_job("job-b", "SUCCEEDED"),
                               make_job("job-d", "PENDING")};
    for (const std::string format : {"table", "json", "yaml"}) {
        fake_dashboard dashboard;
        auto calls = std::make_shared<std::atomic<int>>(0);
        dashboard.route("GET", "/api/jobs/", [=](const recorded_request&) {
            return reply::json(200, json::serialize(calls->fetch_add(1) < 2 ? before : after));
        });
        cli_run_options options;
        options.interrupt_when = [&](const std::string& out) {
            return format == "table" ? contains(out, "(deleted)") : contains(out, "DELETED");
        };
        options.timeout = std::chrono::milliseconds(20000);
        const auto r = run_cli(
            {"--address", dashboard.address(), "-o", format, "job", "list", "--watch", "--interval", "0.1"}, options);
        BOOST_TEST(r.exit_code == 130, r.err);
        BOOST_TEST(*calls >= 3);
        BOOST_TEST(r.out.find('\033') == std::string::npos);
        if (format == "table") {
            std::vector<std::string> lines;
            std::istringstream in(r.out);
            for (std::string line; std::getline(in, line);) lines.push_back(line);
            BOOST_REQUIRE(lines.size() == 7u);
            BOOST_TEST(lines[0].rfind("SUBMISSION_ID", 0) == 0);
            BOOST_TEST(lines[1].rfind("job-a", 0) == 0);
            BOOST_TEST(lines[3].rfind("job-c", 0) == 0);
            BOOST_TEST((lines[4].rfind("job-b", 0) == 0 && contains(lines[4], "SUCCEEDED")), lines[4]);
            BOOST_TEST(lines[5].rfind("job-d", 0) == 0);
            BOOST_TEST(lines[6] == "job-c  (deleted)");
            BOOST_TEST(std::count(r.out.begin(), r.out.end(), '\n') == 7);  // the header once, nothing repeated
            continue;
        }
        std::vector<json::value> events;
        if (format == "json") {
            std::istringstream in(r.out);
            for (std::string line; std::getline(in, line);) events.push_back(json::parse(line));
        } else {
            std::size_t start = 0;
            while ((start = r.out.find("---\n", start)) != std::string::npos) {
                start += 4;
                const auto end = r.out.find("---\n", start);
                events.push_back(raycl::core::load_yaml(r.out.substr(start, end - start)));
            }
        }
        BOOST_REQUIRE(events.size() == 6u);
        for (int i = 0; i < 3; ++i) BOOST_TEST(events[i].at("type").as_string() == "ADDED");
        BOOST_TEST(events[3].at("type").as_string() == "MODIFIED");
        BOOST_TEST(events[3].at("object").at("status").as_string() == "SUCCEEDED");
        BOOST_TEST(events[4].at("type").as_string() == "ADDED");
        BOOST_TEST(events[4].at("object").at("submission_id").as_string() == "job-d");
        BOOST_TEST(events[5].at("type").as_string() == "DELETED");
        BOOST_TEST(events[5].at("object").at("key").as_string() == "job-c");
    }
}

BOOST_AUTO_TEST_CASE(node_list_watch_keeps_going_through_errors) {
    fake_dashboard dashboard;
    auto calls = std::make_shared<std::atomic<int>>(0);
    const auto nodes = recorded("state_nodes.json");
    dashboard.route("GET", "/api/v0/nodes", [=](const recorded_request&) {
        const int n = calls->fetch_add(1);
        return n == 1 ? reply::text(500, "state API failed") : reply::json(200, nodes);
    });
    cli_run_options options;
    options.interrupt_when = [&](const std::string&) { return *calls >= 4; };
    options.timeout = std::chrono::milliseconds(20000);
    const auto r = run_cli({"--address", dashboard.address(), "node", "list", "-w", "--interval", "0.1"}, options);
    BOOST_TEST(r.exit_code == 130, r.err);
    BOOST_TEST(std::count(r.out.begin(), r.out.end(), '\n') == 3, r.out);  // header and two nodes, once
    BOOST_TEST(std::count(r.err.begin(), r.err.end(), '\n') >= 2, r.err);  // the failed refresh, the interrupt
    BOOST_TEST(contains(r.err, "raycl: error 500: "), r.err);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::cli::test
