// raycl_bench_real_tails: many log tails of one raycl client against a real Ray dashboard, with
// every HTTP request the client sends counted by kind and second (issue 15: the dashboard's
// load from the tails' job-status polls, measured on a real cluster rather than the fake).
//
//   raycl_bench_real_tails --address http://127.0.0.1:PORT --python PATH [--token T] [--jobs J (20)]
//       [--tails T (100)] [--lines N (150)] [--interval S (0.5)] [--protocol stream|websocket|auto]
//       [--threads K (2)] [--deadline SECONDS (600)] [--stream-timeout SECONDS (60)]
//
// Submits J jobs (through a second client straight to the dashboard) whose entrypoint, run by
// the cluster with PATH (`python -c`), prints "line 0" .. "line N-1", one every S seconds, and
// exits. Then opens T tails (tail j follows job j % J) through ONE client whose connections go
// through a counting proxy (test/soak/chaos_proxy.hpp with a request_observer and no faults) in
// a forked child, so that the CPU and RSS measured here are the client's only. Every tail checks
// that it got every line of its job exactly once and in order; at the end each job's static log
// (GET /api/jobs/{id}/logs, straight to the dashboard) says how many lines the job printed.
// Progress goes to stderr; one JSON object to stdout. Exit status 0 when every tail ended
// without error with every printed line exactly once.
#include "soak/chaos_proxy.hpp"
#include "soak/flags.hpp"
#include "soak/process.hpp"

#include <raycl/raycl.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using raycl::soak::seconds_of;
using raycl::soak::status_kib;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct settings {
    std::string address;
    std::string python;
    std::string token;
    std::size_t jobs = 20;
    std::size_t tails = 100;
    std::size_t lines = 150;
    double interval = 0.5;
    std::string protocol = "stream";
    unsigned threads = 2;
    double deadline = 600;
    double stream_timeout = 60;  // raycl's default is 10 s; the jobs of a loaded cluster start slower
};

[[noreturn]] void usage(const std::string& problem) {
    raycl::soak::usage_exit("raycl_bench_real_tails", problem,
                            "--address http://127.0.0.1:PORT --python PATH [--token T] [--jobs J] [--tails T] "
                            "[--lines N] [--interval S] [--protocol stream|websocket|auto] [--threads K] "
                            "[--deadline SECONDS] [--stream-timeout SECONDS]");
}

settings parse(int argc, char** argv) {
    settings s;
    CLI::App app{"Many log tails of one raycl client against a real Ray dashboard"};
    app.add_option("--address", s.address);
    app.add_option("--python", s.python);
    app.add_option("--token", s.token);
    app.add_option("--jobs", s.jobs);
    app.add_option("--tails", s.tails);
    app.add_option("--lines", s.lines);
    app.add_option("--interval", s.interval);
    app.add_option("--protocol", s.protocol);
    app.add_option("--threads", s.threads);
    app.add_option("--deadline", s.deadline);
    app.add_option("--stream-timeout", s.stream_timeout);
    raycl::soak::parse_flags(app, argc, argv, usage);
    if (s.address.rfind("http://127.0.0.1:", 0) != 0) usage("--address must be http://127.0.0.1:PORT (loopback)");
    if (s.python.empty()) usage("--python is required");
    if (s.jobs == 0 || s.tails < s.jobs || s.tails > 10'000) usage("need 1 <= --jobs <= --tails <= 10000");
    if (s.lines == 0 || !(s.interval > 0)) usage("--lines and --interval must be > 0");
    if (s.protocol != "stream" && s.protocol != "websocket" && s.protocol != "auto") usage("bad --protocol");
    if (s.threads == 0 || s.threads > 64) usage("--threads must be in [1, 64]");
    if (!(s.stream_timeout > 0 && s.stream_timeout <= 300)) usage("--stream-timeout must be in (0, 300]");
    return s;
}

double since(clock_type::time_point t0, clock_type::time_point t = clock_type::now()) {
    return std::chrono::duration<double>(t - t0).count();
}

// ---------------------------------------------------------------------------------------------
// The counting proxy (child process).

/// A request's kind: its method and path, with a job's id replaced by {id} ("GET /api/jobs/{id}").
std::string kind_of(std::string_view method, std::string_view target) {
    auto path = target.substr(0, target.find('?'));
    std::string kind(method);
    kind += ' ';
    constexpr std::string_view jobs = "/api/jobs/";
    if (path.substr(0, jobs.size()) == jobs && path.size() > jobs.size()) {
        path.remove_prefix(jobs.size());
        const auto slash = path.find('/');
        kind += std::string(jobs) + "{id}";
        if (slash != std::string_view::npos) kind += path.substr(slash);
    } else {
        kind += path;
    }
    return kind;
}

/// The child (raycl::soak::fork_peer): reports "port P" on `report`, runs the proxy until the
/// parent writes to `control` (or closes it), then returns "kind <name> <seconds> <count per
/// second...>" lines, "accepted N", "requests N", "bytes N", "cpu SECONDS", "end".
std::string serve_proxy(unsigned short upstream, clock_type::time_point t0, int control, int report) {
    std::map<std::string, std::vector<std::uint64_t>> per_second;  // on the proxy's thread until stop()
    auto observer = [&per_second, t0](std::string_view method, std::string_view target) {
        auto& counts = per_second[kind_of(method, target)];
        const auto second = static_cast<std::size_t>(std::max(0.0, since(t0)));
        if (counts.size() <= second) counts.resize(second + 1);
        ++counts[second];
    };
    raycl::soak::chaos_proxy proxy(upstream, 0.0, 1, {}, observer);
    raycl::soak::report_line(report, "port " + std::to_string(proxy.port()) + "\n");
    raycl::soak::wait_for_parent(control);
    proxy.stop();  // joins the proxy's thread: per_second is ours now
    const auto counters = proxy.counters();
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    std::string out;
    for (const auto& [kind, counts] : per_second) {
        out += "kind " + kind + " " + std::to_string(counts.size());
        for (auto n : counts) out += " " + std::to_string(n);
        out += "\n";
    }
    return out + "accepted " + std::to_string(counters.accepted) + "\nrequests " + std::to_string(counters.requests) +
           "\nbytes " + std::to_string(counters.bytes) + "\ncpu " +
           std::to_string(seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime)) + "\nend\n";
}

struct proxy_report {
    std::map<std::string, std::vector<std::uint64_t>> per_second;
    std::uint64_t accepted = 0, requests = 0, bytes = 0;
    double cpu = 0;
    bool ok = false;
};

proxy_report read_report(FILE* in) {
    proxy_report r;
    char word[64];
    while (std::fscanf(in, "%63s", word) == 1) {
        const std::string w = word;
        if (w == "kind") {
            char method[16], path[512];
            std::size_t n = 0;
            if (std::fscanf(in, "%15s %511s %zu", method, path, &n) != 3) return r;
            auto& counts = r.per_second[std::string(method) + " " + path];
            counts.resize(n);
            for (auto& c : counts)
                if (std::fscanf(in, "%lu", &c) != 1) return r;
        } else if (w == "accepted" || w == "requests" || w == "bytes") {
            unsigned long long v = 0;
            if (std::fscanf(in, "%llu", &v) != 1) return r;
            (w == "accepted" ? r.accepted : w == "requests" ? r.requests : r.bytes) = v;
        } else if (w == "cpu") {
            if (std::fscanf(in, "%lf", &r.cpu) != 1) return r;
        } else if (w == "end") {
            r.ok = true;
            return r;
        } else {
            return r;
        }
    }
    return r;
}

// ---------------------------------------------------------------------------------------------
// The tails.

struct tail_result {
    std::uint64_t delivered = 0;  // lines received
    std::uint64_t next = 0;       // the number of the next "line <n>" expected
    std::uint64_t duplicates = 0;
    std::uint64_t skipped = 0;               // lines jumped over
    std::uint64_t other = 0;                 // lines that are not "line <n>"
    std::vector<std::string> other_samples;  // the first few of them
    raycl::stream_stats stats;
    std::string error;
    double opened = -1, first_line = -1, last_line = -1, ended = -1;  // seconds since t0
};

/// n of "line <n>", or none.
std::optional<std::uint64_t> line_number(std::string_view text) {
    constexpr std::string_view prefix = "line ";
    if (text.substr(0, prefix.size()) != prefix) return std::nullopt;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data() + prefix.size(), text.data() + text.size(), n);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return n;
}

/// Follows one sequence of line numbers: `n` is the next, a repeat, or after a gap.
void account(tail_result& r, std::uint64_t n) {
    if (n < r.next) {
        ++r.duplicates;
        return;
    }
    r.skipped += n - r.next;
    r.next = n + 1;
}

asio::awaitable<void> consume(raycl::client& ray, std::string id, raycl::tail_options options, tail_result& r,
                              clock_type::time_point t0, std::atomic<std::size_t>& finished) {
    try {
        auto open = ray.tail_job_logs(id, options);
        raycl::log_stream stream = co_await std::move(open);
        r.opened = since(t0);
        try {
            for (;;) {
                auto next = stream.next_batch();
                std::vector<raycl::log_line> batch = co_await std::move(next);
                if (batch.empty()) break;
                for (const auto& line : batch) {
                    ++r.delivered;
                    if (auto n = line_number(line.text)) {
                        account(r, *n);
                        r.last_line = since(t0);
                        if (r.first_line < 0) r.first_line = r.last_line;
                    } else {
                        ++r.other;
                        if (r.other_samples.size() < 3) r.other_samples.push_back(line.text.substr(0, 200));
                    }
                }
            }
            r.ended = since(t0);
        } catch (const std::exception& e) {
            r.error = e.what();
        }
        r.stats = stream.stats();
    } catch (const std::exception& e) {
        r.error = std::string("open: ") + e.what();
    }
    finished.fetch_add(1, std::memory_order_release);
}

template <class T>
T run_on(asio::io_context& ioc, asio::awaitable<T> task) {
    return asio::co_spawn(ioc, std::move(task), asio::use_future).get();
}

double quantile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

}  // namespace

int main(int argc, char** argv) {
    const settings s = parse(argc, argv);
    ::signal(SIGPIPE, SIG_IGN);
    const auto dashboard_port = static_cast<unsigned short>(std::stoul(s.address.substr(s.address.rfind(':') + 1)));
    const auto t0 = clock_type::now();

    // The proxy first, before this process starts any thread (fork copies only the caller).
    const auto peer = raycl::soak::fork_peer(
        "raycl_bench_real_tails proxy",
        [dashboard_port, t0](int control, int report) { return serve_proxy(dashboard_port, t0, control, report); });
    if (peer.pid < 0) return 2;
    FILE* report = peer.report;
    unsigned port = 0;
    if (!report || std::fscanf(report, " port %u", &port) != 1 || port == 0) {
        std::cerr << "raycl_bench_real_tails: the proxy did not start\n";
        return 2;
    }

    asio::io_context ioc(static_cast<int>(s.threads));
    auto guard = asio::make_work_guard(ioc);
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < s.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });

    // The jobs, through a client of their own straight to the dashboard (not counted).
    raycl::client_options direct_options;
    direct_options.address = s.address;
    direct_options.token = s.token;
    direct_options.discover_token = false;
    auto direct = std::make_unique<raycl::client>(ioc.get_executor(), direct_options);
    const std::string tag = std::to_string(std::chrono::system_clock::now().time_since_epoch() / 1ms);
    char sleep_text[32];
    std::snprintf(sleep_text, sizeof sleep_text, "%g", s.interval);
    const std::string entrypoint = s.python + " -c \"import time; [(print('line %d' % i, flush=True), time.sleep(" +
                                   sleep_text + ")) for i in range(" + std::to_string(s.lines) + ")]\"";
    std::vector<std::string> ids;
    const double submit_start = since(t0);
    for (std::size_t j = 0; j < s.jobs; ++j) {
        raycl::job_submission job(entrypoint);
        job.with_submission_id("raysubmit_rt" + tag + "_" + std::to_string(j));
        ids.push_back(run_on(ioc, direct->submit_job(std::move(job))));
    }
    const double submitted = since(t0);
    std::cerr << "submitted " << s.jobs << " jobs in " << submitted - submit_start << " s\n";

    // The tails, through the proxy.
    raycl::client_options options;
    options.address = "http://127.0.0.1:" + std::to_string(port);
    options.token = s.token;
    options.discover_token = false;
    auto ray = std::make_unique<raycl::client>(ioc.get_executor(), options);
    raycl::tail_options tail;
    tail.protocol = s.protocol == "websocket" ? raycl::tail_protocol::websocket
                    : s.protocol == "stream"  ? raycl::tail_protocol::stream
                                              : raycl::tail_protocol::automatic;
    // Also how long a stream tail waits for its job's driver to start (tail_options).
    tail.stream_timeout = raycl::seconds(s.stream_timeout);
    std::vector<tail_result> results(s.tails);
    std::atomic<std::size_t> finished{0};
    const double tails_start = since(t0);
    for (std::size_t i = 0; i < s.tails; ++i)
        asio::co_spawn(ioc, consume(*ray, ids[i % s.jobs], tail, results[i], t0, finished), asio::detached);

    std::uint64_t rss_peak = 0;
    bool hung = false;
    auto next_progress = clock_type::now();
    while (finished.load(std::memory_order_acquire) < s.tails) {
        if (since(t0) > s.deadline) {
            hung = true;
            break;
        }
        rss_peak = std::max(rss_peak, status_kib("VmRSS"));
        if (clock_type::now() >= next_progress) {
            std::uint64_t lines = 0;
            for (const auto& r : results) lines += r.delivered;  // racy reads: progress only
            std::fprintf(stderr, "t=%.0fs tails_ended=%zu lines=%llu connections_opened=%llu rss=%llu KiB\n", since(t0),
                         finished.load(), static_cast<unsigned long long>(lines),
                         static_cast<unsigned long long>(ray->stats().connections_opened),
                         static_cast<unsigned long long>(status_kib("VmRSS")));
            next_progress += 5s;
        }
        std::this_thread::sleep_for(100ms);
    }
    const double tails_done = since(t0);
    const auto client_counters = ray->stats();
    if (hung) std::cerr << "raycl_bench_real_tails: " << s.tails - finished.load() << " tails still running\n";
    ray.reset();  // cancels what still runs; its connections close
    while (finished.load(std::memory_order_acquire) < s.tails) std::this_thread::sleep_for(50ms);
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const double client_cpu = seconds_of(usage.ru_utime) + seconds_of(usage.ru_stime);

    // What each job printed: its static log, and its final state.
    std::vector<std::uint64_t> printed(s.jobs, 0);
    std::vector<std::string> states(s.jobs);
    std::uint64_t static_log_bad = 0;
    for (std::size_t j = 0; j < s.jobs; ++j) {
        try {
            const auto details = run_on(ioc, direct->get_job(ids[j]));
            states[j] = raycl::to_string(details.status);
            const auto text = run_on(ioc, direct->list_job_logs(ids[j]));
            tail_result r;
            std::size_t begin = 0;
            while (begin < text.size()) {
                auto end = text.find('\n', begin);
                if (end == std::string::npos) end = text.size();
                if (auto n = line_number(std::string_view(text).substr(begin, end - begin))) account(r, *n);
                begin = end + 1;
            }
            printed[j] = r.next;
            static_log_bad += r.duplicates + r.skipped;
        } catch (const std::exception& e) {
            std::cerr << "job " << ids[j] << ": " << e.what() << "\n";
            states[j] = "error";
        }
    }
    direct.reset();
    guard.reset();
    for (auto& t : threads) t.join();

    if (::write(peer.control, "q", 1) < 0) std::perror("write");
    const auto proxy = read_report(report);
    int child_status = 0;
    ::waitpid(peer.pid, &child_status, 0);

    // Lines.
    std::uint64_t received = 0, expected = 0, lost = 0, duplicates = 0, other = 0, failed = 0, reconnects = 0,
                  static_log_bytes = 0, fell_back = 0;
    std::vector<double> end_after_last_line;
    json::array errors, other_samples;
    double all_open = 0, all_running = 0, first_end = s.deadline;
    for (std::size_t i = 0; i < s.tails; ++i) {
        const auto& r = results[i];
        const auto want = printed[i % s.jobs];
        received += r.delivered - r.other;
        expected += want;
        duplicates += r.duplicates;
        other += r.other;
        for (const auto& text : r.other_samples)
            if (other_samples.size() < 5 &&
                std::find(other_samples.begin(), other_samples.end(), json::value(text)) == other_samples.end())
                other_samples.emplace_back(text);
        lost += r.skipped + (want > r.next ? want - r.next : 0);
        reconnects += r.stats.reconnects;
        static_log_bytes += r.stats.static_log_bytes;
        if (tail.protocol == raycl::tail_protocol::automatic && r.stats.protocol == raycl::tail_protocol::stream)
            ++fell_back;
        if (!r.error.empty()) {
            ++failed;
            if (errors.size() < 10) errors.emplace_back(r.error);
        }
        all_open = std::max(all_open, r.opened);
        all_running = std::max(all_running, r.first_line);
        if (r.ended >= 0) first_end = std::min(first_end, r.ended);
        if (r.ended >= 0 && r.last_line >= 0) end_after_last_line.push_back(r.ended - r.last_line);
    }

    // Requests per second, by kind; the job-status ones (GET /api/jobs/{id} and GET /api/jobs/).
    std::size_t seconds = 0;
    for (const auto& [kind, counts] : proxy.per_second) seconds = std::max(seconds, counts.size());
    std::vector<double> status(seconds, 0);
    json::object by_kind;
    for (const auto& [kind, counts] : proxy.per_second) {
        std::uint64_t total = 0;
        for (std::size_t t = 0; t < counts.size(); ++t) {
            total += counts[t];
            if (kind == "GET /api/jobs/{id}" || kind == "GET /api/jobs/") status[t] += static_cast<double>(counts[t]);
        }
        by_kind[kind] = total;
    }
    // The start: until every tail got its job's first line (the jobs start, the tails wait for
    // their drivers). The steady window: every tail has lines, none ended yet (whole seconds
    // inside it).
    const auto start_to = std::min(seconds, static_cast<std::size_t>(all_running) + 1);
    const auto window_to = std::max(start_to, std::min(seconds, static_cast<std::size_t>(first_end)));
    std::vector<double> start(status.begin(), status.begin() + static_cast<std::ptrdiff_t>(start_to));
    std::vector<double> steady(status.begin() + static_cast<std::ptrdiff_t>(start_to),
                               status.begin() + static_cast<std::ptrdiff_t>(window_to));
    json::object steady_by_kind;
    for (const auto& [kind, counts] : proxy.per_second) {
        std::uint64_t n = 0;
        for (std::size_t t = start_to; t < std::min(window_to, counts.size()); ++t) n += counts[t];
        steady_by_kind[kind] = n;
    }
    json::array status_per_second;
    double status_total = 0, start_total = 0, steady_total = 0;
    for (std::size_t t = 0; t < status.size(); ++t) {
        status_per_second.emplace_back(status[t]);
        status_total += status[t];
        if (t < start_to)
            start_total += status[t];
        else if (t < window_to)
            steady_total += status[t];
    }

    const bool ok = !hung && failed == 0 && lost == 0 && duplicates == 0 && static_log_bad == 0 && proxy.ok;
    json::object out{
        {"ok", ok},
        {"protocol", s.protocol},
        {"jobs", s.jobs},
        {"tails", s.tails},
        {"lines_per_job", s.lines},
        {"interval_s", s.interval},
        {"stream_timeout_s", s.stream_timeout},
        {"submit_s", submitted - submit_start},
        {"tails_started_at_s", tails_start},
        {"all_tails_open_at_s", all_open},
        {"every_tail_had_a_line_at_s", all_running},
        {"first_tail_ended_at_s", first_end},
        {"tails_done_at_s", tails_done},
        {"hung", hung},
        {"job_states", json::value_from(states)},
        {"lines",
         {{"printed_per_job", json::value_from(printed)},
          {"expected", expected},
          {"received", received},
          {"lost", lost},
          {"duplicated", duplicates},
          {"other_lines", other},
          {"other_line_samples", other_samples},
          {"static_log_out_of_order", static_log_bad}}},
        {"tails_failed", failed},
        {"errors", errors},
        {"reconnects", reconnects},
        {"static_log_bytes", static_log_bytes},
        {"fell_back_to_stream", fell_back},
        {"end_after_last_line_s",
         {{"median", quantile(end_after_last_line, 0.5)},
          {"p90", quantile(end_after_last_line, 0.9)},
          {"max", quantile(end_after_last_line, 1.0)}}},
        {"requests_by_kind", by_kind},
        {"steady_requests_by_kind", steady_by_kind},
        {"status_requests",
         {{"total", status_total},
          {"start_window_s", json::array{0.0, static_cast<double>(start_to)}},
          {"start_total", start_total},
          {"start_median_per_s", quantile(start, 0.5)},
          {"start_peak_per_s", quantile(start, 1.0)},
          {"steady_window_s", json::array{static_cast<double>(start_to), static_cast<double>(window_to)}},
          {"steady_total", steady_total},
          {"steady_median_per_s", quantile(steady, 0.5)},
          {"steady_peak_per_s", quantile(steady, 1.0)},
          {"peak_per_s", quantile(status, 1.0)},
          {"per_second", status_per_second}}},
        {"proxy",
         {{"connections_accepted", proxy.accepted},
          {"requests", proxy.requests},
          {"bytes", proxy.bytes},
          {"cpu_s", proxy.cpu},
          {"report_ok", proxy.ok}}},
        {"client",
         {{"requests_sent", client_counters.requests_sent},
          {"retries", client_counters.retries},
          {"connections_opened", client_counters.connections_opened},
          {"cpu_s", client_cpu},
          {"rss_peak_kib", rss_peak},
          {"vm_hwm_kib", status_kib("VmHWM")}}},
    };
    std::cout << json::serialize(out) << "\n";
    return ok ? 0 : 1;
}
