// raycl_submit_soak: submits exactly once under faults (docs/hardening.md, "Submits exactly once").
//
//   raycl_submit_soak [--jobs N (2000)] [--rounds R (1)] [--before P] [--after P] [--mid P]
//                     [--attempts A (10)] [--deadline S (60)] [--threads T (2)] [--seed X] [--json]
//
// Each round starts N `submit_job` calls at once through the chaos proxy (chaos_proxy.hpp) against
// the fake dashboard, which answers a submit as Ray 2.60 does: a new submission id is a new job
// (200 with the id), a known one is refused with 500 and "Please use a different submission_id"
// (docs/ray-api-notes.md). The proxy draws one fault per request: cut before the request reaches
// the server (probability P of --before, default 0.1), after the request went up but before the
// answer (--after, 0.1: the job exists, the client does not know), or in the middle of the answer
// (--mid, 0.1). Even calls give their own submission id, odd calls let raycl make one. Every
// call's entrypoint is unique, so the fake's jobs tell which call made which job.
//
// Checks (exit 0 only when all hold; the JSON's "checks"): every call ended within --deadline
// seconds, none hung; each returned its submission id (a given one unchanged) or a client_error
// with a status and a message; every call that returned an id has exactly one job, under that
// id, with its entrypoint; no call has two jobs and no job belongs to no call (a failed call
// has at most one: its earlier attempt may have landed); each kind of fault was injected and a
// retry met the duplicate answer (so the exactly-once path ran); the fake saw no unexpected
// request and had no error of its own.
#include "soak/chaos_proxy.hpp"
#include "support/fake_dashboard.hpp"

#include <raycl/raycl.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct settings {
    std::size_t jobs = 2000;
    std::size_t rounds = 1;
    raycl::soak::request_faults faults{0.1, 0.1, 0.1};
    int attempts = 10;
    double deadline = 60;
    unsigned threads = 2;
    std::uint64_t seed = 1;
    bool json = false;
};

[[noreturn]] void usage(const std::string& problem) {
    std::cerr << "raycl_submit_soak: " << problem << "\n"
              << "usage: raycl_submit_soak [--jobs N] [--rounds R] [--before P] [--after P] [--mid P] "
                 "[--attempts A] [--deadline S] [--threads T] [--seed X] [--json]\n";
    std::exit(2);
}

settings parse(int argc, char** argv) {
    settings s;
    CLI::App app{"Exactly-once submits under injected faults"};
    app.add_option("--jobs", s.jobs);
    app.add_option("--rounds", s.rounds);
    app.add_option("--before", s.faults.before_request);
    app.add_option("--after", s.faults.after_request);
    app.add_option("--mid", s.faults.mid_response);
    app.add_option("--attempts", s.attempts);
    app.add_option("--deadline", s.deadline);
    app.add_option("--threads", s.threads);
    app.add_option("--seed", s.seed);
    app.add_flag("--json", s.json);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        usage(error.get_name() == "CallForHelp" ? "help" : error.what());
    }
    const auto& f = s.faults;
    if (s.jobs == 0 || s.jobs > 100'000) usage("--jobs must be in [1, 100000]");
    if (s.rounds == 0 || s.rounds > 10'000) usage("--rounds must be in [1, 10000]");
    for (double p : {f.before_request, f.after_request, f.mid_response})
        if (!(p >= 0 && p <= 1)) usage("fault probabilities must be in [0, 1]");
    if (f.before_request + f.after_request + f.mid_response > 1) usage("the fault probabilities add up to more than 1");
    if (s.attempts < 1 || s.attempts > 100) usage("--attempts must be in [1, 100]");
    if (!(s.deadline > 0)) usage("--deadline must be > 0");
    if (s.threads == 0 || s.threads > 64) usage("--threads must be in [1, 64]");
    return s;
}

/// The fake's jobs, as Ray keeps them: one per submission id, refused when the id is known.
class ray_like_jobs {
public:
    explicit ray_like_jobs(raycl::test::fake_dashboard& dashboard) {
        dashboard.route("POST", "/api/jobs/", [this](const raycl::test::recorded_request& request) {
            const auto body = json::parse(request.body).as_object();
            const std::string id(body.at("submission_id").as_string());
            const std::string entrypoint(body.at("entrypoint").as_string());
            std::lock_guard lock(mutex_);
            if (!jobs_.emplace(id, entrypoint).second) {
                ++refused_;
                // Ray 2.60: the head re-raises the agent's 400 as a 500 with a traceback.
                return raycl::test::reply::text(
                    500, "Traceback (most recent call last):\n  ...\nValueError: Job with submission_id " + id +
                             " already exists. Please use a different submission_id.");
            }
            return raycl::test::reply::json(200,
                                            json::serialize(json::object{{"job_id", nullptr}, {"submission_id", id}}));
        });
    }

    std::map<std::string, std::string> jobs() const {
        std::lock_guard lock(mutex_);
        return jobs_;
    }
    std::uint64_t refused() const {
        std::lock_guard lock(mutex_);
        return refused_;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::string> jobs_;  // submission id -> entrypoint
    std::uint64_t refused_ = 0;
};

struct call_result {
    std::atomic<bool> done{false};
    std::optional<std::string> id;
    std::optional<raycl::client_error> error;
    std::string other_exception;  // anything but a client_error (must stay empty)
    double seconds = 0;
};

/// One round's calls, shared with the calls' coroutines: a call that hung still has it when the
/// client is destroyed and cancels it.
struct round_state {
    explicit round_state(std::size_t calls) : results(calls) {}
    std::vector<call_result> results;
    std::atomic<std::size_t> finished{0};
};

std::string entrypoint_of(std::size_t round, std::size_t call) {
    return "echo submit-" + std::to_string(round) + "-" + std::to_string(call);
}

asio::awaitable<void> submit(raycl::client& ray, std::size_t round, std::size_t call,
                             std::shared_ptr<round_state> state) {
    auto& result = state->results[call];
    const auto start = clock_type::now();
    raycl::job_submission submission(entrypoint_of(round, call));
    if (call % 2 == 0) submission.with_submission_id("rel_" + std::to_string(round) + "_" + std::to_string(call));
    try {
        auto operation = ray.submit_job(std::move(submission));
        result.id = co_await std::move(operation);
    } catch (const raycl::client_error& error) {
        result.error = error;
    } catch (const std::exception& error) {
        result.other_exception = error.what();
    }
    result.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    result.done.store(true, std::memory_order_release);
    state->finished.fetch_add(1, std::memory_order_release);
}

/// Figures of all rounds.
struct totals {
    std::uint64_t calls = 0, returned_id = 0, failed = 0, hung = 0, other_exceptions = 0, unclear_errors = 0;
    std::uint64_t late = 0;  // ended after the deadline
    std::uint64_t wrong_id = 0, lost = 0, duplicated = 0, orphans = 0, failed_but_landed = 0;
    std::map<int, std::uint64_t> failed_by_status;
    double max_seconds = 0;
    json::array first_errors;
};

}  // namespace

int main(int argc, char** argv) {
    const settings s = parse(argc, argv);
    ::signal(SIGPIPE, SIG_IGN);
    // N concurrent submits: up to N client connections, 2N in the proxy, N in the fake.
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }

    raycl::test::fake_dashboard dashboard(raycl::test::fake_dashboard::options{}.keep_requests(100));
    ray_like_jobs ray_jobs(dashboard);
    auto& posts = dashboard.tally("POST", "/api/jobs/");
    raycl::soak::chaos_proxy proxy(dashboard.port(), 0.0, s.seed, s.faults);

    asio::io_context ioc(static_cast<int>(s.threads));
    auto guard = asio::make_work_guard(ioc);
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < s.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });

    raycl::client_options options;
    options.address = "http://127.0.0.1:" + std::to_string(proxy.port());
    options.discover_token = false;
    options.timeout.connect = raycl::seconds(10.0);
    options.timeout.read = raycl::seconds(10.0);
    options.retry.max_attempts = s.attempts;
    options.retry.initial_backoff = 20ms;
    options.retry.max_backoff = 500ms;
    auto ray = std::make_unique<raycl::client>(ioc.get_executor(), options);

    totals t;
    const auto begin = clock_type::now();
    for (std::size_t round = 0; round < s.rounds; ++round) {
        auto state = std::make_shared<round_state>(s.jobs);
        auto& results = state->results;
        const auto round_start = clock_type::now();
        for (std::size_t i = 0; i < s.jobs; ++i) asio::co_spawn(ioc, submit(*ray, round, i, state), asio::detached);
        // A call still running past the deadline (plus a margin for the last ones to start) hung.
        const auto give_up = round_start + std::chrono::duration_cast<clock_type::duration>(
                                               std::chrono::duration<double>(s.deadline + 10.0));
        while (state->finished.load(std::memory_order_acquire) < s.jobs && clock_type::now() < give_up)
            std::this_thread::sleep_for(10ms);

        const auto jobs = ray_jobs.jobs();
        std::map<std::string, std::vector<std::string>> ids_by_entrypoint;
        for (const auto& [id, entrypoint] : jobs)
            if (entrypoint.rfind("echo submit-" + std::to_string(round) + "-", 0) == 0)
                ids_by_entrypoint[entrypoint].push_back(id);
        std::size_t claimed = 0;
        for (std::size_t i = 0; i < s.jobs; ++i) {
            auto& r = results[i];
            ++t.calls;
            if (!r.done.load(std::memory_order_acquire)) {
                ++t.hung;
                continue;
            }
            t.max_seconds = std::max(t.max_seconds, r.seconds);
            if (r.seconds > s.deadline) ++t.late;
            const auto found = ids_by_entrypoint.find(entrypoint_of(round, i));
            const std::size_t made = found == ids_by_entrypoint.end() ? 0 : found->second.size();
            claimed += made;
            if (made > 1) ++t.duplicated;
            if (!r.other_exception.empty()) {
                ++t.other_exceptions;
                if (t.first_errors.size() < 10)
                    t.first_errors.push_back(json::string("not a client_error: " + r.other_exception));
                continue;
            }
            if (r.id) {
                ++t.returned_id;
                const bool given_kept = i % 2 != 0 || *r.id == "rel_" + std::to_string(round) + "_" + std::to_string(i);
                if (!given_kept || (made == 1 && found->second.front() != *r.id)) ++t.wrong_id;
                if (made == 0) ++t.lost;
                continue;
            }
            ++t.failed;
            if (made == 1) ++t.failed_but_landed;
            const auto& e = *r.error;
            ++t.failed_by_status[e.status()];
            if (e.status() == 0 || std::string(e.what()).empty()) ++t.unclear_errors;
            if (t.first_errors.size() < 10)
                t.first_errors.push_back(json::string(std::to_string(e.status()) + ": " + e.what()));
        }
        // Jobs of this round that no call made (e.g. an id raycl generated for a retry).
        std::size_t of_round = 0;
        for (const auto& entry : ids_by_entrypoint) of_round += entry.second.size();
        t.orphans += of_round - std::min(of_round, claimed);
        if (!s.json)
            std::fprintf(stderr, "round %zu: %zu calls in %.1f s, %zu jobs\n", round, s.jobs,
                         std::chrono::duration<double>(clock_type::now() - round_start).count(), of_round);
        if (t.hung > 0) break;  // the client would still hold them: stop here
    }
    const double seconds = std::chrono::duration<double>(clock_type::now() - begin).count();
    const auto client_counters = ray->stats();
    ray.reset();
    guard.reset();
    for (auto& thread : threads) thread.join();
    const auto chaos = proxy.counters();
    proxy.stop();
    const auto refused = ray_jobs.refused();
    const auto server_errors = dashboard.server_errors();
    const auto unmatched = dashboard.unmatched();
    const auto posts_received = posts.total();
    dashboard.stop();

    json::object checks;
    checks["no_call_hung"] = t.hung == 0;
    checks["every_call_within_the_deadline"] = t.late == 0;
    checks["every_call_returned_its_id_or_a_client_error"] = t.other_exceptions == 0 && t.unclear_errors == 0;
    checks["given_ids_kept_and_returned_ids_are_the_jobs"] = t.wrong_id == 0;
    checks["no_submit_lost"] = t.lost == 0;
    checks["at_most_one_job_per_call"] = t.duplicated == 0 && t.orphans == 0;
    checks["every_fault_kind_injected"] = (s.faults.before_request == 0 || chaos.cuts_before_request > 0) &&
                                          (s.faults.after_request == 0 || chaos.cuts_after_request > 0) &&
                                          (s.faults.mid_response == 0 || chaos.cuts_mid_response > 0);
    checks["a_retry_met_the_duplicate_answer"] = s.faults.after_request + s.faults.mid_response == 0 || refused > 0;
    checks["fake_clean"] = server_errors.empty() && unmatched.empty();
    bool ok = true;
    for (const auto& [name, value] : checks) ok = ok && value.as_bool();

    json::object failed_by_status;
    for (const auto& [status, n] : t.failed_by_status) failed_by_status[std::to_string(status)] = n;
    json::object report{
        {"ok", ok},
        {"jobs_per_round", s.jobs},
        {"rounds", s.rounds},
        {"fault_probabilities", json::object{{"before_request", s.faults.before_request},
                                             {"after_request", s.faults.after_request},
                                             {"mid_response", s.faults.mid_response}}},
        {"max_attempts", s.attempts},
        {"deadline_s", s.deadline},
        {"seed", s.seed},
        {"calls", t.calls},
        {"returned_id", t.returned_id},
        {"failed", t.failed},
        {"failed_by_status", failed_by_status},
        {"failed_but_landed", t.failed_but_landed},
        {"hung", t.hung},
        {"late", t.late},
        {"lost", t.lost},
        {"duplicated", t.duplicated},
        {"orphans", t.orphans},
        {"wrong_id", t.wrong_id},
        {"max_call_s", t.max_seconds},
        {"seconds", seconds},
        {"posts_received", posts_received},
        {"duplicates_refused", refused},
        {"requests_sent", client_counters.requests_sent},
        {"retries", client_counters.retries},
        {"connections_opened", client_counters.connections_opened},
        {"proxy", json::object{{"accepted", chaos.accepted},
                               {"requests", chaos.requests},
                               {"cuts_before_request", chaos.cuts_before_request},
                               {"cuts_after_request", chaos.cuts_after_request},
                               {"cuts_mid_response", chaos.cuts_mid_response},
                               {"fin", chaos.cuts_fin},
                               {"rst", chaos.cuts_rst}}},
        {"server_errors", server_errors.size()},
        {"unmatched", unmatched.size()},
        {"first_errors", t.first_errors},
        {"checks", checks},
    };
    std::cout << json::serialize(report) << "\n";
    if (!ok) std::cerr << "raycl_submit_soak: FAILED (see \"checks\")\n";
    return ok ? 0 : 1;
}
