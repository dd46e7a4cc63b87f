// Shared helpers of the integration suite: the running cluster's settings (from the env file
// scripts/ray-cluster.sh writes), a synchronous runner, and job entrypoints.
#pragma once

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
    std::string gcs_address;  ///< RAYCL_TEST_GCS_ADDRESS (for Ray's own `ray status`)

    bool token_auth() const { return auth == "token"; }
    std::string python() const { return venv + "/bin/python"; }
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
        cluster_settings s{values["RAYCL_TEST_ADDRESS"], values["RAYCL_TEST_AUTH"],
                           values["RAYCL_TEST_TOKEN"],   values["RAYCL_TEST_SERVE_PORT"],
                           values["RAYCL_TEST_VENV"],    values["RAYCL_TEST_GCS_ADDRESS"]};
        if (s.address.empty()) throw std::runtime_error(std::string("no RAYCL_TEST_ADDRESS in ") + path);
        return s;
    }();
    return settings;
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

/// Ray 2.60's job supervisor writes two lines of its own at the top of every driver log:
/// "<date> <time>,<ms>\tINFO job_manager.py:<n> -- Runtime env is setting up.\n" and
/// "Running entrypoint for job <id>: <entrypoint>\n". Checks that exactly these come first and
/// returns what the entrypoint itself printed.
inline std::string entrypoint_output(const std::string& logs, const std::string& id, const std::string& entrypoint) {
    const auto first_end = logs.find('\n');
    BOOST_TEST_REQUIRE(first_end != std::string::npos, "no preamble in: " << logs);
    const std::string first = logs.substr(0, first_end);
    BOOST_TEST(first.find("INFO job_manager.py:") != std::string::npos, first);
    const std::string suffix = " -- Runtime env is setting up.";
    BOOST_TEST(
        (first.size() > suffix.size() && first.compare(first.size() - suffix.size(), suffix.size(), suffix) == 0),
        first);
    const std::string second = "Running entrypoint for job " + id + ": " + entrypoint + "\n";
    BOOST_TEST_REQUIRE(logs.compare(first_end + 1, second.size(), second) == 0,
                       "second line is not '" << second << "' in: " << logs.substr(0, 400));
    return logs.substr(first_end + 1 + second.size());
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
