// Shared helpers of the integration suite: the running cluster's settings (from the env file
// scripts/ray-cluster.sh writes), a synchronous runner, and job entrypoints.
#pragma once

#include "core/ray_version.hpp"
#include "support/run_sync.hpp"
#include "support/test_paths.hpp"
#include "support/test_printing.hpp"

#include <raycl/raycl.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/test/unit_test.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace raycl::test {

namespace asio = boost::asio;

/// Settings of the cluster under test, read from $RAYCL_TEST_ENV_FILE (KEY=VALUE lines).
struct cluster_settings {
    std::string address;      ///< RAYCL_TEST_ADDRESS
    std::string auth;         ///< RAYCL_TEST_AUTH: "token" or "disabled"
    std::string token;        ///< RAYCL_TEST_TOKEN
    std::string serve_port;   ///< RAYCL_TEST_SERVE_PORT
    std::string venv;         ///< RAYCL_TEST_VENV
    std::string ray_version;  ///< RAYCL_TEST_RAY_VERSION: the cluster's release, e.g. "2.44.1"
    std::string gcs_address;  ///< RAYCL_TEST_GCS_ADDRESS (for Ray's own `ray status`)
    /// RAYCL_TEST_PACKAGING_VENV: the Ray whose packaging raycl must equal (2.60's, also when the
    /// cluster runs an older release, whose client packages by older rules).
    std::string packaging_venv;
    std::string cluster_dir;  ///< RAYCL_TEST_CLUSTER_DIR: the nodes' --temp-dir (Ray's logs below it)

    bool token_auth() const { return auth == "token"; }
    std::string python() const { return venv + "/bin/python"; }
    /// The Python of packaging_venv (the cluster's venv when the env file names none).
    std::string packaging_python() const { return (packaging_venv.empty() ? venv : packaging_venv) + "/bin/python"; }
    /// The cluster's release as the client's version gates see it.
    core::server_version server() const { return core::server_version::exactly(*core::parse_ray_release(ray_version)); }
    /// Whether the cluster's release has `feature` (core::capabilities(), docs/ray-versions.md).
    bool has(core::capability feature) const { return core::check(server(), feature) == core::support::yes; }
    /// The release is at least major.minor.patch.
    bool at_least(int major, int minor, int patch = 0) const {
        return server().release >= core::ray_release{major, minor, patch};
    }
};

inline const cluster_settings& cluster() {
    static const cluster_settings settings = [] {
        const char* path = std::getenv("RAYCL_TEST_ENV_FILE");
        if (!path) throw std::runtime_error("RAYCL_TEST_ENV_FILE is not set: run through ctest");
        std::ifstream file(path);
        if (!file)
            throw std::runtime_error(std::string("cannot read the cluster env file ") + path +
                                     ": did scripts/ray-cluster.sh up succeed?");
        std::map<std::string, std::string> values;
        for (std::string line; std::getline(file, line);) {
            if (line.rfind("export ", 0) == 0) line = line.substr(7);
            const auto eq = line.find('=');
            if (eq == std::string::npos || line[0] == '#') continue;
            std::string value = line.substr(eq + 1);
            if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"'))
                value = value.substr(1, value.size() - 2);
            values[line.substr(0, eq)] = value;
        }
        cluster_settings s{
            values["RAYCL_TEST_ADDRESS"],     values["RAYCL_TEST_AUTH"],           values["RAYCL_TEST_TOKEN"],
            values["RAYCL_TEST_SERVE_PORT"],  values["RAYCL_TEST_VENV"],           values["RAYCL_TEST_RAY_VERSION"],
            values["RAYCL_TEST_GCS_ADDRESS"], values["RAYCL_TEST_PACKAGING_VENV"], values["RAYCL_TEST_CLUSTER_DIR"]};
        if (s.address.empty()) throw std::runtime_error(std::string("no RAYCL_TEST_ADDRESS in ") + path);
        if (!core::parse_ray_release(s.ray_version))
            throw std::runtime_error(std::string("no RAYCL_TEST_RAY_VERSION in ") + path);
        return s;
    }();
    return settings;
}

/// Whether any of the dashboard's own log files of the cluster holds `text` (Ray's tracebacks
/// behind a bare 500 are there).
inline bool dashboard_logs_contain(const std::string& text) {
    const auto logs = std::filesystem::path(cluster().cluster_dir) / "session_latest" / "logs";
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(logs, ec)) {
        const auto name = entry.path().filename().string();
        if (!name.starts_with("dashboard")) continue;
        std::ifstream file(entry.path(), std::ios::binary);
        const std::string content{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
        if (content.find(text) != std::string::npos) return true;
    }
    return false;
}

/// Polls (bounded) until `done(instance)` holds; returns the last instance seen.
template <class Predicate>
serve_instance wait_for_serve(client& ray, Predicate done, std::chrono::seconds limit = std::chrono::seconds(180)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto instance = run_sync(ray.list_serve_applications());
        if (done(instance) || std::chrono::steady_clock::now() > deadline) return instance;
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

/// Client options for the cluster under test, with its token when auth is on.
inline client_options cluster_options() {
    client_options options;
    options.address = cluster().address;
    options.discover_token = false;
    options.token = cluster().token;
    options.timeout.read = seconds(60.0);
    return options;
}

/// The standard output of a shell command (run with popen), "" when it could not start.
inline std::string command_output(const std::string& command) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    if (!pipe) return {};
    std::string out;
    char buffer[4096];
    while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
    return out;
}

/// `<venv python> <test/integration/python/script> args`
inline std::string python_entrypoint(const std::string& script, const std::string& args = "") {
    return cluster().python() + " " + python_dir() + "/" + script + (args.empty() ? "" : " " + args);
}

/// What the entrypoint printed: `logs` without the lines Ray writes into a driver log itself,
/// each checked. Ray's job supervisor writes, depending on the release, "<date> <time>,<ms>\tINFO
/// job_manager.py:<n> -- Runtime env is setting up." (2.23+) and "Running entrypoint for job
/// <id>: <entrypoint>" (2.52+), each exactly once, not always first (the supervisor and the
/// driver write the same file, and under load a printed line can come before them). The driver's
/// own warnings go to the same file: Ray 2.52's "worker.py:<n>: FutureWarning: Tip: ..." (and its
/// "  warnings.warn(" line) and "(raylet) ..." lines relayed from the raylet.
inline std::string entrypoint_output(const std::string& logs, const std::string& id, const std::string& entrypoint) {
    std::string printed;
    int setup_lines = 0, running_lines = 0;
    bool after_warning = false;
    for (std::size_t start = 0; start < logs.size();) {
        auto end = logs.find('\n', start);
        end = end == std::string::npos ? logs.size() : end + 1;
        const std::string line = logs.substr(start, end - start);
        start = end;
        const bool continues_warning = after_warning && line.rfind("  ", 0) == 0;
        after_warning = false;
        if (line.find("INFO job_manager.py:") != std::string::npos &&
            line.find(" -- Runtime env is setting up.") != std::string::npos) {
            ++setup_lines;
        } else if (line == "Running entrypoint for job " + id + ": " + entrypoint + "\n") {
            ++running_lines;
        } else if (line.find("/ray/_private/worker.py:") != std::string::npos &&
                   line.find("Warning: ") != std::string::npos) {
            after_warning = true;
        } else if (!continues_warning && line.rfind("(raylet) ", 0) != 0) {
            printed += line;
        }
    }
    BOOST_TEST(setup_lines == (cluster().at_least(2, 23) ? 1 : 0), "in: " << logs.substr(0, 400));
    BOOST_TEST(running_lines == (cluster().at_least(2, 52) ? 1 : 0), "in: " << logs.substr(0, 400));
    return printed;
}

/// Waits (bounded) for the job to reach `wanted` or a terminal status; returns the job.
inline job_details wait_for_status(client& ray, const std::string& id, job_status wanted,
                                   std::chrono::seconds limit = std::chrono::seconds(120)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto job = run_sync(ray.get_job(id));
        if (job.status == wanted || job.is_terminal() || std::chrono::steady_clock::now() > deadline) return job;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

}  // namespace raycl::test
