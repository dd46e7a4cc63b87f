// The benchmark's log-tail server: test/support's fake dashboard (a Beast server on its own
// thread) run as a standalone process on 127.0.0.1, so that raycl and every peer (Ray's
// JobSubmissionClient.tail_job_logs, raw Python and C++ byte counters) read the very same bytes.
//
// A job id `bench_<N>` (or `bench_<N>_<anything>`) stands for a log of N generated lines
// (generated_log_line: ~110 bytes each), sent in frames/chunks of 10 lines like Ray:
//   GET  /api/version                         the recorded Ray 2.60 answer
//   GET  /api/jobs/bench_<N>                  a SUCCEEDED job (shape of jobs_get_succeeded.json)
//   WS   /api/jobs/bench_<N>/logs/tail        N lines in TEXT frames of 10 lines, then close 1000
//   GET  /api/v0/logs/stream?submission_id=bench_<N>&...   the same bytes, chunked, then the end
// Prints {"address": "http://127.0.0.1:PORT"} on stdout, then serves until SIGINT/SIGTERM.
// Usage: raycl_bench_server
#include "support/fake_dashboard.hpp"

#include <boost/json.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

namespace {

using namespace raycl::test;

std::string read_fixture(const char* name) {
    std::ifstream file(std::string(RAYCL_FIXTURE_DIR "/ray/") + name);
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
}

/// The line count of an id `bench_<N>[_...]`, or -1.
long long lines_of(const std::string& id) {
    if (id.rfind("bench_", 0) != 0) return -1;
    try {
        return std::stoll(id.substr(6));
    } catch (...) {
        return -1;
    }
}

/// The id in `/api/jobs/<id>[/...]`.
std::string job_id_in(const std::string& target) {
    const std::string prefix = "/api/jobs/";
    auto rest = target.substr(prefix.size());
    return rest.substr(0, rest.find_first_of("/?"));
}

/// The submission_id of a query string.
std::string submission_id_in(const std::string& target) {
    const std::string key = "submission_id=";
    const auto at = target.find(key);
    if (at == std::string::npos) return {};
    const auto start = at + key.size();
    return target.substr(start, target.find('&', start) - start);
}

}  // namespace

int main() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server thread starts

    const std::string version = read_fixture("version.json");
    const auto job_template = boost::json::parse(read_fixture("jobs_get_succeeded.json")).as_object();
    fake_dashboard dashboard;
    dashboard.route("GET", "/api/version", [version](const recorded_request&) { return reply::json(200, version); });
    dashboard.route("GET", "/api/jobs/*", [job_template](const recorded_request& request) {
        const auto id = job_id_in(request.target);
        if (lines_of(id) < 0) return reply::text(404, "Job " + id + " does not exist");
        auto job = job_template;
        job["submission_id"] = id;
        return reply::json(200, boost::json::serialize(job));
    });
    dashboard.websocket_route("/api/jobs/*", [](const recorded_request& request) {
        const auto id = job_id_in(request.target);
        const auto lines = lines_of(id);
        if (lines < 0) return websocket_script::decline(reply::text(404, "Job " + id + " does not exist"));
        return websocket_script{}.send_lines(0, static_cast<std::uint64_t>(lines), 10).close(1000);
    });
    dashboard.route("GET", "/api/v0/logs/stream*", [](const recorded_request& request) {
        const auto lines = lines_of(submission_id_in(request.target));
        if (lines < 0) return reply::text(500, "Could not find a log file.");
        return reply::stream(generated_chunks(0, static_cast<std::uint64_t>(lines), 10));
    });
    std::printf("{\"address\": \"%s\"}\n", dashboard.address().c_str());
    std::fflush(stdout);
    int received = 0;
    sigwait(&signals, &received);
    dashboard.stop();
    return 0;
}
