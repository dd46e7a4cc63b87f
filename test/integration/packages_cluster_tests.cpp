// Integration tests against a real Ray cluster: local working_dir / py_modules packaged and
// uploaded by raycl, seen by the job, reused across submits and across clients (Ray's own
// Python JobSubmissionClient in the project's venv).
#include "integration/harness.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <unistd.h>

namespace raycl::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

/// A fresh directory under the system's temporary directory, removed at the end of the test.
/// Its files carry a nonce so that every run makes packages the cluster does not have yet.
struct scratch_tree {
    scratch_tree() {
        nonce = std::to_string(::getpid()) + "_" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count());
        root = fs::temp_directory_path() / ("raycl-packages-" + nonce);
        fs::create_directories(root);
    }
    ~scratch_tree() {
        std::error_code ignored;
        fs::remove_all(root, ignored);
    }
    scratch_tree(const scratch_tree&) = delete;
    scratch_tree& operator=(const scratch_tree&) = delete;

    void write(const fs::path& relative, const std::string& text) const {
        fs::create_directories((root / relative).parent_path());
        std::ofstream(root / relative, std::ios::binary) << text;
    }

    fs::path root;
    std::string nonce;
};

/// Runs `command` through the shell; returns its stdout without the final newline, and fails
/// the test when it exits non-zero.
std::string command_output(const std::string& command) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    BOOST_TEST_REQUIRE(static_cast<bool>(pipe), "cannot run " << command);
    std::string out;
    char buffer[4096];
    while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
    const int status = pclose(pipe.release());
    BOOST_TEST_REQUIRE(status == 0, command << " exited with " << status << ": " << out);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

/// `ray_client_package.py MODE ARGS` with Ray 2.60's client (cluster().packaging_python()),
/// with the token of a token cluster.
std::string ray_python_client(const std::string& mode, const std::string& args) {
    return command_output("RAYCL_TEST_TOKEN='" + cluster().token + "' " + cluster().packaging_python() + " " +
                          python_dir() + "/ray_client_package.py " + mode + " " + args);
}

/// A working_dir with a module, a data file, a .gitignore'd file and a .git directory, and a
/// script that reports what the job sees.
void write_project(const scratch_tree& tree) {
    tree.write("project/check.py",
               "import os, mymod, pkgmod, single_mod\n"
               "print('value=' + mymod.VALUE)\n"
               "print('data=' + open('data/input.txt').read().strip())\n"
               "print('ignored_present=' + str(os.path.exists('secret.txt')))\n"
               "print('git_present=' + str(os.path.exists('.git')))\n"
               "print('pkgmod=' + pkgmod.NAME)\n"
               "print('single_mod=' + single_mod.NAME)\n");
    tree.write("project/mymod.py", "VALUE = '" + tree.nonce + "'\n");
    tree.write("project/data/input.txt", "payload " + tree.nonce + "\n");
    tree.write("project/.gitignore", "secret.txt\n");
    tree.write("project/secret.txt", "must not be shipped\n");
    tree.write("project/.git/HEAD", "ref: refs/heads/main\n");
    tree.write("modules/pkgmod/__init__.py", "NAME = 'pkg-" + tree.nonce + "'\n");
    tree.write("modules/single_mod.py", "NAME = 'single-" + tree.nonce + "'\n");
}

/// A pure-Python wheel `<distribution>-0.1-py3-none-any.whl` in `directory` holding `module`
/// with `NAME = value` (make_wheel.py in the cluster's venv); returns its path.
std::string make_wheel(const fs::path& directory, const std::string& distribution, const std::string& module,
                       const std::string& value) {
    return command_output(cluster().python() + " " + python_dir() + "/make_wheel.py " + directory.string() + " " +
                          distribution + " 0.1 " + module + " " + value);
}

/// The file name of `path`'s last component.
std::string file_name(const std::string& path) {
    return fs::path(path).filename().string();
}

/// How long the Serve cases wait for Ray to reach a state.
constexpr std::chrono::seconds serve_wait{240};

/// Waits (bounded) for `id` to end; fails unless it succeeded; returns what its entrypoint printed.
std::string succeeded_job_output(client& ray, const std::string& id, const std::string& entrypoint) {
    wait_options wait;
    wait.deadline = std::chrono::minutes(3);
    const auto job = run_sync(ray.wait_for_job(id, wait));
    const std::string logs = run_sync(ray.list_job_logs(id));
    BOOST_TEST_REQUIRE(job.status == job_status::succeeded, "job ended " << job.status_text << ": "
                                                                         << job.message.value_or("") << "\n"
                                                                         << logs);
    return entrypoint_output(logs, id, entrypoint);
}

json::object project_env(const scratch_tree& tree) {
    return json::object{{"working_dir", (tree.root / "project").string()},
                        {"py_modules", json::array{(tree.root / "modules/pkgmod").string(),
                                                   (tree.root / "modules/single_mod.py").string()}}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(real_ray_packages)

BOOST_AUTO_TEST_CASE(a_job_with_a_local_working_dir_and_py_modules_sees_its_files_and_not_the_ignored_ones) {
    client ray(cluster_options());
    scratch_tree tree;
    write_project(tree);

    // First: the three packages are new to the cluster, so all three are uploaded.
    auto first = run_sync(ray.prepare_runtime_env(project_env(tree)));
    BOOST_TEST_REQUIRE(first.packages.size() == 3u);
    for (const auto& package : first.packages) {
        BOOST_TEST((package.state == package_state::uploaded), package.uri);
        BOOST_TEST(package.uri.rfind("gcs://_ray_pkg_", 0) == 0u, package.uri);
        BOOST_TEST(package.archive_size.value_or(0) > 0u);
    }
    // The working_dir URI is the one Ray's own Python client computes for the same directory.
    BOOST_TEST(first.packages[0].uri == ray_python_client("uri", (tree.root / "project").string()));
    BOOST_TEST(first.runtime_env.at("working_dir").as_string() == first.packages[0].uri);

    // Then a submit of the unchanged tree: every package already there, nothing sent again.
    std::map<packaging_phase, std::set<std::string>> reported;  // phase -> packages it was reported for
    packaging_options packaging;
    packaging.with_progress(
        [&reported](const packaging_progress& report) { reported[report.phase].insert(std::string(report.field)); });
    job_submission submission;
    submission.entrypoint = cluster().python() + " check.py";
    submission.runtime_env = project_env(tree);
    submission.entrypoint_num_cpus = 0.1;
    const std::string id = run_sync(ray.submit_job(submission, packaging));
    BOOST_TEST(reported[packaging_phase::uploading].empty());
    BOOST_TEST(
        reported[packaging_phase::skipped] == (std::set<std::string>{"working_dir", "py_modules[0]", "py_modules[1]"}),
        boost::test_tools::per_element());

    wait_options wait;
    wait.deadline = std::chrono::minutes(3);
    const auto job = run_sync(ray.wait_for_job(id, wait));
    const std::string logs = run_sync(ray.list_job_logs(id));
    BOOST_TEST_REQUIRE(job.status == job_status::succeeded, "job ended " << job.status_text << ": "
                                                                         << job.message.value_or("") << "\n"
                                                                         << logs);
    const std::string printed = entrypoint_output(logs, id, submission.entrypoint);
    BOOST_TEST(printed == "value=" + tree.nonce + "\ndata=payload " + tree.nonce +
                              "\nignored_present=False\ngit_present=False\npkgmod=pkg-" + tree.nonce +
                              "\nsingle_mod=single-" + tree.nonce + "\n");
    // Ray records the runtime_env with the URIs raycl sent in place of the local paths.
    const json::object& sent = job.runtime_env.value();
    BOOST_TEST(sent.at("working_dir").as_string() == first.packages[0].uri);
    BOOST_TEST(sent.at("py_modules").as_array().at(0).as_string() == first.packages[1].uri);
    BOOST_TEST(sent.at("py_modules").as_array().at(1).as_string() == first.packages[2].uri);
}

BOOST_AUTO_TEST_CASE(a_package_uploaded_by_rays_python_client_is_reused_and_the_other_way_round) {
    client ray(cluster_options());
    scratch_tree tree;
    tree.write("by_ray/main.py", "print('" + tree.nonce + "')\n");
    tree.write("by_ray/.gitignore", "*.log\n");
    tree.write("by_ray/run.log", "ignored\n");
    tree.write("by_raycl/main.py", "print('raycl " + tree.nonce + "')\n");

    // Ray's JobSubmissionClient uploads its package; raycl finds it present (no PUT).
    const std::string ray_uri = ray_python_client("submit", cluster().address + " " + (tree.root / "by_ray").string());
    auto reused = run_sync(ray.prepare_runtime_env(json::object{{"working_dir", (tree.root / "by_ray").string()}}));
    BOOST_TEST_REQUIRE(reused.packages.size() == 1u);
    BOOST_TEST(reused.packages[0].uri == ray_uri);
    BOOST_TEST((reused.packages[0].state == package_state::already_present));

    // raycl uploads; Ray's client computes the same name, so its existence check finds it.
    auto uploaded = run_sync(ray.prepare_runtime_env(json::object{{"working_dir", (tree.root / "by_raycl").string()}}));
    BOOST_TEST_REQUIRE(uploaded.packages.size() == 1u);
    BOOST_TEST((uploaded.packages[0].state == package_state::uploaded));
    BOOST_TEST(uploaded.packages[0].uri == ray_python_client("uri", (tree.root / "by_raycl").string()));
}

BOOST_AUTO_TEST_CASE(a_package_uploaded_by_raycl_is_reused_by_rays_python_client_without_an_upload) {
    client ray(cluster_options());
    scratch_tree tree;
    tree.write("shared/main.py", "print('shared ' + open('data.txt').read().strip())\n");
    tree.write("shared/data.txt", tree.nonce + "\n");
    tree.write("shared/.gitignore", "*.tmp\n");
    tree.write("shared/scratch.tmp", "left out by both clients\n");
    const std::string directory = (tree.root / "shared").string();

    auto uploaded = run_sync(ray.prepare_runtime_env(json::object{{"working_dir", directory}}));
    BOOST_TEST_REQUIRE(uploaded.packages.size() == 1u);
    BOOST_TEST((uploaded.packages[0].state == package_state::uploaded));

    // Ray's JobSubmissionClient submits from the same directory: its existence check finds
    // raycl's package, it uploads nothing, and the job runs from raycl's archive.
    const std::string entrypoint = cluster().python() + " main.py";
    const json::object seen =
        json::parse(ray_python_client("reuse", cluster().address + " " + directory + " '" + entrypoint + "'"))
            .as_object();
    BOOST_TEST(seen.at("uri").as_string() == uploaded.packages[0].uri);
    BOOST_TEST(seen.at("exists") == json::array{true}, seen);
    BOOST_TEST(seen.at("uploads").as_array().empty(), seen);
    const std::string id(seen.at("submission_id").as_string());
    BOOST_TEST(succeeded_job_output(ray, id, entrypoint) == "shared " + tree.nonce + "\n");
}

BOOST_AUTO_TEST_CASE(a_wheel_in_py_modules_is_uploaded_as_it_is_and_imported_by_the_job) {
    client ray(cluster_options());
    scratch_tree tree;
    const std::string distribution = "raycl_wheel_" + tree.nonce;
    const std::string wheel = make_wheel(tree.root, distribution, "raycl_wheel_mod", tree.nonce);
    BOOST_TEST_REQUIRE(fs::is_regular_file(wheel), wheel);

    // A wheel's name is its URI (Ray's get_uri_for_package); its bytes are sent as they are.
    auto prepared = run_sync(ray.prepare_runtime_env(json::object{{"py_modules", json::array{wheel}}}));
    BOOST_TEST_REQUIRE(prepared.packages.size() == 1u);
    BOOST_TEST(prepared.packages[0].uri == "gcs://" + file_name(wheel));
    BOOST_TEST((prepared.packages[0].kind == package_source_kind::archive));
    BOOST_TEST((prepared.packages[0].state == package_state::uploaded));
    BOOST_TEST(prepared.packages[0].archive_size.value_or(0) == fs::file_size(wheel));

    job_submission submission;
    submission.entrypoint = cluster().python() + " -c 'import raycl_wheel_mod as m; print(\"wheel=\" + m.NAME)'";
    submission.runtime_env = json::object{{"py_modules", json::array{wheel}}};
    submission.entrypoint_num_cpus = 0.1;
    std::set<std::string> skipped;
    packaging_options packaging;
    packaging.with_progress([&skipped](const packaging_progress& report) {
        if (report.phase == packaging_phase::skipped) skipped.insert(std::string(report.field));
    });
    const std::string id = run_sync(ray.submit_job(submission, packaging));
    BOOST_TEST(skipped == (std::set<std::string>{"py_modules[0]"}), boost::test_tools::per_element());
    // Ray pip-installs the wheel on the node (install_wheel_package) and puts it on the path.
    BOOST_TEST(succeeded_job_output(ray, id, submission.entrypoint) == "wheel=" + tree.nonce + "\n");
    const auto job = run_sync(ray.get_job(id));
    BOOST_TEST(job.runtime_env.value().at("py_modules").as_array().at(0).as_string() == prepared.packages[0].uri);
}

BOOST_AUTO_TEST_CASE(a_serve_application_deployed_from_a_local_working_dir_serves_a_file_from_it) {
    client ray(cluster_options());
    scratch_tree tree;
    tree.write("app/raycl_packaged_app.py",
               "import os\n"
               "from ray import serve\n"
               "from starlette.responses import PlainTextResponse\n"
               "HERE = os.path.dirname(os.path.abspath(__file__))\n"
               "with open(os.path.join(HERE, 'assets', 'message.txt')) as f:\n"
               "    MESSAGE = f.read().strip()\n"
               "@serve.deployment(num_replicas=1, ray_actor_options={'num_cpus': 0.1})\n"
               "class Message:\n"
               "    async def __call__(self, request):\n"
               "        return PlainTextResponse(MESSAGE)\n"
               "app = Message.bind()\n");
    tree.write("app/assets/message.txt", "served from the working_dir " + tree.nonce + "\n");
    const std::string name = "raycl_packaged";
    json::array applications;
    applications.push_back(json::object{{"name", name},
                                        {"route_prefix", "/raycl_packaged"},
                                        {"import_path", "raycl_packaged_app:app"},
                                        {"runtime_env", json::object{{"working_dir", (tree.root / "app").string()}}}});
    const json::object config{
        {"applications", applications},
        {"http_options", json::object{{"host", "127.0.0.1"}, {"port", std::stoi(cluster().serve_port)}}}};

    std::set<std::string> uploaded;
    packaging_options packaging;
    packaging.with_progress([&uploaded](const packaging_progress& report) {
        if (report.phase == packaging_phase::uploading) uploaded.insert(std::string(report.field));
    });
    run_sync(ray.deploy_serve_applications(config, packaging));
    BOOST_TEST(uploaded == (std::set<std::string>{"working_dir"}), boost::test_tools::per_element());
    const auto running = [&](const serve_instance& instance) {
        const auto* app = instance.find(name);
        return app && (app->status == serve_app_status::running || app->status == serve_app_status::deploy_failed);
    };
    const serve_instance instance = wait_for_serve(ray, running, serve_wait);
    const auto* app = instance.find(name);
    BOOST_TEST_REQUIRE(app != nullptr);
    BOOST_TEST_REQUIRE((app->status == serve_app_status::running), app->status_text << ": " << app->message);
    // Ray keeps the config as deployed: the gcs:// URI in place of the local path.
    const std::string recorded(
        app->deployed_app_config.value().at("runtime_env").as_object().at("working_dir").as_string());
    BOOST_TEST(recorded.rfind("gcs://_ray_pkg_", 0) == 0u, recorded);

    // The proxy may route a moment after the application reports RUNNING: bounded polling.
    const std::string url = "http://127.0.0.1:" + cluster().serve_port + "/raycl_packaged";
    const std::string expected = "served from the working_dir " + tree.nonce;
    std::string body;
    for (const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
         body != expected && std::chrono::steady_clock::now() < deadline;) {
        body = raycl::test::command_output("curl -s --max-time 10 " + url);
        if (body != expected) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    BOOST_TEST(body == expected);

    run_sync(ray.delete_serve_application(name));
    const serve_instance after = wait_for_serve(
        ray, [&](const serve_instance& i) { return i.find(name) == nullptr; }, serve_wait);
    BOOST_TEST(after.find(name) == nullptr);
    run_sync(ray.shutdown_serve());
    BOOST_TEST(wait_for_serve(
                   ray, [](const serve_instance& i) { return i.applications.empty(); }, serve_wait)
                   .applications.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
