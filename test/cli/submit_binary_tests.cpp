// Component tests of `job submit` / `serve deploy` packaging: the built `raycl` binary against
// the fake dashboard with a package store (GET 404 until a PUT stored the name), and --dry-run,
// which must send nothing at all.
#include "dashboard_cli.hpp"
#include "tmux_terminal.hpp"

#include <raycl/runtime_env.hpp>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include <unistd.h>

namespace raycl::cli::test {
namespace {

namespace json = boost::json;
using raycl::test::fake_dashboard;
using raycl::test::recorded_request;
using raycl::test::reply;

cli_run_options with_env(std::map<std::string, std::string> env) {
    cli_run_options options;
    options.env = std::move(env);
    return options;
}

}  // namespace

namespace {

namespace fs = std::filesystem;

/// A directory of its own for one test (a project to ship, config files), removed at its end.
struct scratch_dir {
    scratch_dir() {
        std::string pattern = (fs::temp_directory_path() / "raycl-cli-packages-XXXXXX").string();
        BOOST_REQUIRE(::mkdtemp(pattern.data()));
        root = pattern;
    }
    ~scratch_dir() {
        std::error_code ignored;
        fs::remove_all(root, ignored);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    std::string write(const std::string& relative, const std::string& text) const {
        fs::create_directories((root / relative).parent_path());
        std::ofstream(root / relative, std::ios::binary) << text;
        return (root / relative).string();
    }
    std::string path(const std::string& relative) const { return (root / relative).string(); }
    fs::path root;
};

void write_project(const scratch_dir& dir) {
    dir.write("project/main.py", "import helper\nprint(helper.VALUE)\n");
    dir.write("project/helper.py", "VALUE = 42\n");
    dir.write("project/.gitignore", "*.log\n");
    dir.write("project/debug.log", "ignored\n");
    dir.write("lib/mylib/__init__.py", "X = 1\n");
}

/// The URI raycl's SDK plans for `path` as `field` (the same code as the binary's).
std::string planned_uri(const json::object& runtime_env, std::size_t index = 0) {
    const auto plan = raycl::plan_runtime_env(runtime_env, raycl::packaging_options().with_hash_cache(false));
    return plan.packages.at(index).uri;
}

/// The dashboard's package store: GET 404 until a PUT stored the name, then 200.
struct package_store {
    std::mutex mutex;
    std::map<std::string, std::string> stored;  // name -> bytes
    std::map<std::string, int> puts;
};

std::shared_ptr<package_store> serve_packages(fake_dashboard& dashboard) {
    static const std::string prefix = "/api/packages/gcs/";
    auto store = std::make_shared<package_store>();
    dashboard.route("GET", prefix + "*", [store](const recorded_request& request) {
        std::lock_guard lock(store->mutex);
        return store->stored.count(request.target.substr(prefix.size())) ? reply::text(200, "")
                                                                         : reply::text(404, "no such package");
    });
    dashboard.route("PUT", prefix + "*", [store](const recorded_request& request) {
        std::lock_guard lock(store->mutex);
        const std::string name = request.target.substr(prefix.size());
        store->stored[name] = request.body;
        ++store->puts[name];
        return reply::text(200, "");
    });
    return store;
}

std::size_t count_requests(const fake_dashboard& dashboard, const std::string& method, const std::string& prefix) {
    std::size_t n = 0;
    for (const auto& request : dashboard.requests())
        if (request.method == method && request.target.rfind(prefix, 0) == 0) ++n;
    return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_packages)

BOOST_AUTO_TEST_CASE(dry_run_prints_the_body_with_uris_and_sends_nothing) {
    fake_dashboard dashboard;
    scratch_dir dir;
    write_project(dir);
    const std::string env_file =
        dir.write("env.yaml", "working_dir: ./elsewhere\nenv_vars:\n  MODE: \"fast\"\npip: [requests]\n");
    auto r = raycl_at(
        dashboard, {"job", "submit", "--dry-run", "--submission-id", "dry-1", "--runtime-env", env_file,
                    "--working-dir", dir.path("project"), "--py-modules", dir.path("lib/mylib"), "--metadata-json",
                    R"({"k": "v"})", "--entrypoint-label-selector", R"({"region": "us"})", "--", "python", "main.py"});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(dashboard.requests().empty());  // no existence check, no upload, no submit
    const json::object body = json::parse(r.out).as_object();
    BOOST_TEST(body.at("entrypoint").as_string() == "python main.py");
    BOOST_TEST(body.at("submission_id").as_string() == "dry-1");
    BOOST_TEST(body.at("metadata").at("k").as_string() == "v");
    BOOST_TEST(body.at("entrypoint_label_selector").at("region").as_string() == "us");
    const json::object& env = body.at("runtime_env").as_object();
    const json::object local{{"working_dir", dir.path("project")}, {"py_modules", json::array{dir.path("lib/mylib")}}};
    BOOST_TEST(env.at("working_dir").as_string() == planned_uri(local, 0));  // --working-dir won over the file's
    BOOST_TEST(env.at("py_modules").as_array().at(0).as_string() == planned_uri(local, 1));
    BOOST_TEST(env.at("env_vars").at("MODE").as_string() == "fast");
    // pip's list form normalised as Ray's client does it.
    BOOST_TEST(env.at("pip").at("packages").as_array().at(0).as_string() == "requests");
    BOOST_TEST(!env.contains("_ray_commit"));  // the cluster's: not asked in a dry run

    // A local path that does not exist is the SDK's 400, still without a request.
    r = raycl_at(dashboard, {"job", "submit", "--dry-run", "--working-dir", dir.path("missing"), "--", "x"});
    BOOST_TEST(r.exit_code == 3);
    BOOST_TEST(r.err.rfind("raycl: error 400: ", 0) == 0, r.err);
    BOOST_TEST(dashboard.requests().empty());
}

BOOST_AUTO_TEST_CASE(submit_uploads_what_the_cluster_lacks_and_skips_it_the_second_time) {
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    dashboard.expect("POST", "/api/jobs/").reply_with(reply::json(200, fixture("jobs_submit.json"))).repeatedly();
    scratch_dir dir;
    write_project(dir);
    const json::object local{{"working_dir", dir.path("project")}};
    const std::string uri = planned_uri(local);

    const std::vector<std::string> args{"job",
                                        "submit",
                                        "--no-wait",
                                        "--submission-id",
                                        "raycl-ok-1",
                                        "--working-dir",
                                        dir.path("project"),
                                        "--headers",
                                        R"({"X-Job": "cli"})",
                                        "--",
                                        "python main.py"};
    auto r = raycl_at(dashboard, args);
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(r.out == "raycl-ok-1\n");
    BOOST_TEST(r.err.empty(), r.err);  // not a terminal: no progress line
    {
        std::lock_guard lock(store->mutex);
        BOOST_TEST(store->puts[uri.substr(6)] == 1);
    }
    const auto requests = dashboard.requests();
    const auto post = std::find_if(requests.begin(), requests.end(), [](const auto& q) { return q.method == "POST"; });
    BOOST_REQUIRE(post != requests.end());
    BOOST_TEST(json::parse(post->body).at("runtime_env").at("working_dir").as_string() == uri);
    for (const auto& request : requests) {  // --headers on every request of the command
        const auto header = request.headers.find("x-job");
        BOOST_TEST((header != request.headers.end() && header->second == "cli"),
                   request.method << " " << request.target);
    }

    // The unchanged tree again: found on the cluster, not sent. RAY_JOB_HEADERS without --headers.
    std::vector<std::string> again(args.begin(), args.end() - 4);
    again.insert(again.end(), {"--", "python main.py"});
    r = raycl_at(dashboard, again, with_env({{"RAY_JOB_HEADERS", R"({"X-Env": "e"})"}}));
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(count_requests(dashboard, "PUT", "/api/packages/") == 1u);
    BOOST_TEST(count_requests(dashboard, "GET", "/api/packages/") == 2u);
    const auto last = dashboard.requests().back();
    BOOST_TEST(last.method == "POST");
    BOOST_TEST(last.headers.count("x-env") == 1u);

    // RAY_JOB_HEADERS that is not a JSON object of strings: a usage error before any request.
    const auto before = dashboard.requests().size();
    r = raycl_at(dashboard, again, with_env({{"RAY_JOB_HEADERS", "not json"}}));
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(dashboard.requests().size() == before);
}

BOOST_AUTO_TEST_CASE(runtime_env_file_errors_are_usage_errors_before_any_request) {
    fake_dashboard dashboard;
    scratch_dir dir;
    auto r = raycl_at(dashboard, {"job", "submit", "--runtime-env", dir.path("missing.yaml"), "--", "x"});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(r.err.find("cannot read") != std::string::npos, r.err);
    const std::string bad = dir.write("bad.yaml", "a: [1, 2\n");
    r = raycl_at(dashboard, {"job", "submit", "--runtime-env", bad, "--", "x"});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(r.err.find(bad + ": line ") != std::string::npos, r.err);  // where yaml-cpp stopped
    r = raycl_at(dashboard, {"job", "submit", "--runtime-env", dir.write("list.yaml", "- a\n"), "--", "x"});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(r.err.find("not a YAML or JSON mapping") != std::string::npos, r.err);
    r = raycl_at(dashboard,
                 {"job", "submit", "--runtime-env", dir.write("e.json", "{}"), "--runtime-env-json", "{}", "--", "x"});
    BOOST_TEST(r.exit_code == 2);
    BOOST_TEST(dashboard.requests().empty());
}

BOOST_AUTO_TEST_CASE(serve_deploy_takes_yaml_and_uploads_local_directories) {
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    dashboard.expect("PUT", "/api/serve/applications/").reply_with(reply::text(200, ""));
    scratch_dir dir;
    write_project(dir);
    const std::string config = dir.write("serve.yaml",
                                         "applications:\n"
                                         "  - name: local\n"
                                         "    import_path: main:app\n"
                                         "    runtime_env:\n"
                                         "      working_dir: " +
                                             dir.path("project") +
                                             "\n"
                                             "  - name: remote\n"
                                             "    import_path: other:app\n"
                                             "    runtime_env:\n"
                                             "      working_dir: s3://bucket/app.zip\n");
    auto r = raycl_at(dashboard, {"serve", "deploy", config});
    BOOST_TEST(r.exit_code == 0, r.err);
    BOOST_TEST(count_requests(dashboard, "PUT", "/api/packages/") == 1u);
    const auto requests = dashboard.requests();
    const auto put = std::find_if(requests.begin(), requests.end(), [](const auto& q) {
        return q.method == "PUT" && q.target == "/api/serve/applications/";
    });
    BOOST_REQUIRE(put != requests.end());
    const auto sent = json::parse(put->body);
    const auto& apps = sent.at("applications").as_array();
    BOOST_TEST(apps.at(0).at("runtime_env").at("working_dir").as_string() ==
               planned_uri(json::object{{"working_dir", dir.path("project")}}));
    BOOST_TEST(apps.at(1).at("runtime_env").at("working_dir").as_string() == "s3://bucket/app.zip");
    BOOST_TEST(apps.at(0).at("import_path").as_string() == "main:app");
}

BOOST_AUTO_TEST_CASE(the_progress_line_is_drawn_on_a_terminal_and_says_when_a_package_is_skipped) {
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    dashboard.expect("POST", "/api/jobs/").reply_with(reply::json(200, fixture("jobs_submit.json"))).repeatedly();
    scratch_dir dir;
    write_project(dir);
    const std::vector<std::string> args{"--address",     dashboard.address(), "job", "submit",        "--no-wait",
                                        "--working-dir", dir.path("project"), "--",  "python main.py"};
    const auto has = [](const std::string& screen, const std::string& text) {
        return screen.find(text) != std::string::npos;
    };
    {
        terminal first(args);
        const auto screen = first.wait_for_text("[exit 0]");
        // Redrawn in place while it archives and uploads; the last state stays as a line.
        BOOST_TEST(has(screen, "raycl: working_dir: uploading "), screen);
        BOOST_TEST(has(screen, " (100%)"), screen);
        BOOST_TEST(!has(screen, "already on the cluster"), screen);
    }
    {
        terminal again(args);  // the unchanged tree: found on the cluster
        const auto screen = again.wait_for_text("[exit 0]");
        BOOST_TEST(has(screen, "raycl: working_dir: already on the cluster, skipped"), screen);
        BOOST_TEST(!has(screen, "uploading"), screen);
    }
    {
        terminal piped(args, {}, "2>&1 | cat");  // not a terminal: no progress line at all
        const auto screen = piped.wait_for_text("[exit 0]");
        BOOST_TEST(!has(screen, "raycl: working_dir:"), screen);
    }
    std::lock_guard lock(store->mutex);
    BOOST_TEST(store->puts.size() == 1u);  // one package, uploaded once
    BOOST_TEST(store->puts.begin()->second == 1);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::cli::test
