// raycl_soak: many concurrent log tails against the fake dashboard behind a chaos proxy.
//
//   raycl_soak --tails N --duration SECONDS --disconnect-rate R --protocol websocket|stream|auto
//              --queue-size Q --lines-per-second-per-tail L --seed S --json [--threads T] [--max-reconnects M]
//
// The fake dashboard (test/support) and the chaos proxy (chaos_proxy.hpp) run in a forked child
// process, so the RSS, file descriptors and CPU measured here are the client's only. Job j's log
// grows by L lines per second for `duration` seconds (lines generated_log_line(j * 10^8 + i));
// the job is RUNNING until its last line is written, then SUCCEEDED. The WebSocket replays the
// log from the start on every connection (Ray's behaviour); the HTTP stream does too (lines=-1)
// and never ends. The proxy cuts each connection with probability R per second (FIN or RST).
//
// Every tail checks each line's content and order without storing the log. The server counts
// the job-status requests (GET /api/jobs/{id} and GET /api/jobs/) per second of its life: the
// dashboard's load from the tails' polls (issue 15). Samples (t, RSS, fds, lines) go to stderr;
// one JSON object goes to stdout at the end. Exit status 0 only when
// `ok` (criteria in the JSON's "criteria" and in docs/hardening.md).
#include "soak/chaos_proxy.hpp"
#include "soak/process.hpp"
#include "support/fake_dashboard.hpp"

#include <raycl/raycl.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include <malloc.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::uint64_t job_stride = 100'000'000;  // line numbers of job j start at j * stride
constexpr const char* node_id = "node1";

struct settings {
    std::size_t tails = 200;
    double duration = 20;
    double disconnect_rate = 0.05;
    std::string protocol = "websocket";
    std::size_t queue_size = 1000;
    double lines_per_second = 10;
    std::uint64_t seed = 1;
    bool json = false;
    unsigned threads = 2;
    int max_reconnects = raycl::tail_options{}.max_reconnects;

    std::uint64_t lines_per_tail() const {
        return static_cast<std::uint64_t>(std::llround(lines_per_second * duration));
    }
};

[[noreturn]] void usage(const std::string& problem) {
    raycl::soak::usage_exit("raycl_soak", problem,
                            "--tails N --duration SECONDS --disconnect-rate R "
                            "--protocol websocket|stream|auto --queue-size Q --lines-per-second-per-tail L "
                            "--seed S [--json] [--threads T (2)] [--max-reconnects M (raycl's default)]");
}

settings parse(int argc, char** argv) {
    settings s;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage("missing value of " + flag);
            return argv[++i];
        };
        try {
            if (flag == "--tails")
                s.tails = std::stoul(value());
            else if (flag == "--duration")
                s.duration = std::stod(value());
            else if (flag == "--disconnect-rate")
                s.disconnect_rate = std::stod(value());
            else if (flag == "--protocol")
                s.protocol = value();
            else if (flag == "--queue-size")
                s.queue_size = std::stoul(value());
            else if (flag == "--lines-per-second-per-tail")
                s.lines_per_second = std::stod(value());
            else if (flag == "--seed")
                s.seed = std::stoull(value());
            else if (flag == "--json")
                s.json = true;
            else if (flag == "--threads")
                s.threads = static_cast<unsigned>(std::stoul(value()));
            else if (flag == "--max-reconnects")
                s.max_reconnects = std::stoi(value());
            else if (flag == "--help" || flag == "-h")
                usage("help");
            else
                usage("unknown flag " + flag);
        } catch (const std::logic_error&) {
            usage("bad value for " + flag);
        }
    }
    if (s.tails == 0 || s.tails > 100'000) usage("--tails must be in [1, 100000]");
    if (!(s.duration > 0)) usage("--duration must be > 0");
    if (!(s.disconnect_rate >= 0 && s.disconnect_rate <= 1)) usage("--disconnect-rate must be in [0, 1]");
    if (s.protocol != "websocket" && s.protocol != "stream" && s.protocol != "auto") usage("bad --protocol");
    if (s.queue_size == 0) usage("--queue-size must be > 0");
    if (!(s.lines_per_second > 0)) usage("--lines-per-second-per-tail must be > 0");
    if (s.lines_per_tail() == 0 || s.lines_per_tail() >= job_stride) usage("L * duration out of range");
    if (s.threads == 0 || s.threads > 64) usage("--threads must be in [1, 64]");
    if (s.max_reconnects < 0 || s.max_reconnects > 100) usage("--max-reconnects must be in [0, 100]");
    return s;
}

using raycl::soak::open_fds;
using raycl::soak::seconds_of;

std::uint64_t rss_kib() {
    return raycl::soak::status_kib("VmRSS");
}

// ---------------------------------------------------------------------------------------------
// The server side (child process): fake dashboard + chaos proxy.

/// The jobs' logs as a function of time.
struct job_clock {
    clock_type::time_point t0;
    double lines_per_second;
    std::uint64_t total;

    double elapsed(clock_type::time_point now = clock_type::now()) const {
        return std::chrono::duration<double>(now - t0).count();
    }
    /// Lines written by elapsed time e: line i is written at e = i / L.
    std::uint64_t available(double e) const {
        if (e < 0) return 0;
        const auto n = static_cast<std::uint64_t>(std::floor(e * lines_per_second)) + 1;
        return std::min(n, total);
    }
    /// The job ends once every line is written: RUNNING before, SUCCEEDED after.
    double end() const { return static_cast<double>(total) / lines_per_second; }
};

std::string job_id_of(std::size_t j) {
    return "raysubmit_soak_" + std::to_string(j);
}

/// The job index of "raysubmit_soak_<j>", or -1.
long job_index(std::string_view id, std::size_t tails) {
    constexpr std::string_view prefix = "raysubmit_soak_";
    if (id.substr(0, prefix.size()) != prefix) return -1;
    id.remove_prefix(prefix.size());
    std::size_t j = 0;
    auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), j);
    if (ec != std::errc{} || end != id.data() + id.size() || j >= tails) return -1;
    return static_cast<long>(j);
}

std::string query_value(const std::string& target, const std::string& name) {
    const auto q = target.find('?');
    if (q == std::string::npos) return {};
    std::string_view rest(target);
    rest.remove_prefix(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto pair = rest.substr(0, amp);
        if (pair.substr(0, name.size() + 1) == name + "=") return std::string(pair.substr(name.size() + 1));
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return {};
}

/// The job-status requests the server answered, per second since it started (thread-safe: the
/// fake's handlers run on its server thread, the report on the main thread after stop()).
struct status_counts {
    explicit status_counts(std::size_t seconds) : per_second(seconds) {}

    void count(bool list) {
        (list ? lists : gets).fetch_add(1, std::memory_order_relaxed);
        const auto t = static_cast<std::size_t>(std::chrono::duration<double>(clock_type::now() - start).count());
        per_second[std::min(t, per_second.size() - 1)].fetch_add(1, std::memory_order_relaxed);
    }

    clock_type::time_point start = clock_type::now();
    std::atomic<std::uint64_t> gets{0};   ///< GET /api/jobs/{id}
    std::atomic<std::uint64_t> lists{0};  ///< GET /api/jobs/
    std::vector<std::atomic<std::uint64_t>> per_second;
};

json::object job_object(std::size_t j, std::string_view id, bool finished) {
    return json::object{{"type", "SUBMISSION"},
                        {"job_id", "0" + std::to_string(j)},
                        {"submission_id", std::string(id)},
                        {"status", finished ? "SUCCEEDED" : "RUNNING"},
                        {"entrypoint", "python soak.py"},
                        {"driver_node_id", node_id}};
}

void install_jobs(raycl::test::fake_dashboard& dashboard, const settings& s, const job_clock& jobs,
                  const std::shared_ptr<status_counts>& status) {
    using raycl::test::recorded_request;
    using raycl::test::reply;
    using raycl::test::websocket_script;
    const std::size_t tails = s.tails;

    // WebSocket tails: the log from the start, then new lines every `tick`, then close 1000 about
    // a second after the job ended (Ray: ~3 s).
    dashboard.websocket_route("/api/jobs/*", [jobs, tails](const recorded_request& request) {
        std::string_view path(request.target);
        path.remove_prefix(std::string_view("/api/jobs/").size());
        const auto slash = path.find('/');
        const long j = job_index(path.substr(0, slash), tails);
        if (j < 0 || path.substr(slash == std::string_view::npos ? path.size() : slash) != "/logs/tail")
            return websocket_script::decline(reply::text(404, "Job does not exist"));
        const std::uint64_t base = static_cast<std::uint64_t>(j) * job_stride;
        const double tick = std::max(1.0, jobs.end() / 300.0);  // bounds the script's length
        double cursor = jobs.elapsed();
        websocket_script script;
        std::uint64_t sent = jobs.available(cursor);
        if (sent > 0) script.send_lines(base, sent);
        while (sent < jobs.total) {
            const double next = (std::floor(cursor / tick) + 1) * tick;
            script.wait(std::chrono::milliseconds(static_cast<long>(std::ceil((next - cursor) * 1000))));
            const auto target = jobs.available(next);
            if (target > sent) script.send_lines(base + sent, target - sent);
            sent = target;
            cursor = next;
        }
        const double quiet = std::max(0.0, jobs.end() - cursor) + 1.0;
        script.wait(std::chrono::milliseconds(static_cast<long>(quiet * 1000))).close(1000);
        return script;
    });

    // HTTP stream: the log from the start, then new lines as they are written; never ends.
    dashboard.route("GET", "/api/v0/logs/stream*", [jobs, tails](const recorded_request& request) {
        const long j = job_index(query_value(request.target, "submission_id"), tails);
        if (j < 0) return reply::text(404, "Job does not exist");
        const std::uint64_t base = static_cast<std::uint64_t>(j) * job_stride;
        auto next = std::make_shared<std::uint64_t>(0);
        auto source = [jobs, base, next]() -> std::optional<std::string> {
            if (*next >= jobs.total) return std::nullopt;
            const auto available = jobs.available(jobs.elapsed());
            std::string chunk;
            const auto until = std::min<std::uint64_t>(available, *next + 1000);
            for (; *next < until; ++*next) raycl::test::append_generated_log_line(chunk, base + *next);
            return chunk;
        };
        reply r = reply::stream(source, 100ms).never_ending();
        r.content_type = "text/plain";
        return r;
    });

    // Every job at once (a client's job-status watcher lists them).
    dashboard.route("GET", "/api/jobs/", [jobs, tails, status](const recorded_request&) {
        status->count(true);
        const bool finished = jobs.elapsed() >= jobs.end();
        json::array all;
        all.reserve(tails);
        for (std::size_t j = 0; j < tails; ++j) all.push_back(job_object(j, job_id_of(j), finished));
        return reply::json(200, json::serialize(all));
    });

    // Job details and the static log.
    dashboard.route("GET", "/api/jobs/*", [jobs, tails, status](const recorded_request& request) {
        std::string_view path(request.target);
        path.remove_prefix(std::string_view("/api/jobs/").size());
        path = path.substr(0, path.find('?'));
        const auto slash = path.find('/');
        const auto id = path.substr(0, slash);
        const long j = job_index(id, tails);
        if (slash == std::string_view::npos) status->count(false);
        if (j < 0) return reply::text(404, "Job " + std::string(id) + " does not exist");
        const std::string rest(path.substr(slash == std::string_view::npos ? path.size() : slash));
        const double e = jobs.elapsed();
        if (rest == "/logs") {
            const std::uint64_t base = static_cast<std::uint64_t>(j) * job_stride;
            std::string log;
            const auto n = jobs.available(e);
            for (std::uint64_t i = 0; i < n; ++i) raycl::test::append_generated_log_line(log, base + i);
            return reply::json(200, json::serialize(json::object{{"logs", log}}));
        }
        if (!rest.empty()) return reply::text(404, "Not found");
        return reply::json(200, json::serialize(job_object(static_cast<std::size_t>(j), id, e >= jobs.end())));
    });
}

/// The child (raycl::soak::fork_peer): reports the proxy's port on `report`, serves until the
/// parent writes to (or closes) `control`, then returns the servers' counters (the last line).
std::string serve(const settings& s, int control, int report) {
    std::string line;
    {
        const job_clock jobs{clock_type::now() + 1s, s.lines_per_second, s.lines_per_tail()};
        raycl::test::fake_dashboard dashboard;
        // One count per second up to the parent's deadline (the jobs' end + 61 s) and teardown.
        auto status = std::make_shared<status_counts>(static_cast<std::size_t>(std::ceil(s.duration)) + 120);
        install_jobs(dashboard, s, jobs, status);
        raycl::soak::chaos_proxy proxy(dashboard.port(), s.disconnect_rate, s.seed);
        raycl::soak::report_line(report, std::to_string(proxy.port()) + "\n");
        raycl::soak::wait_for_parent(control);
        const auto counters = proxy.counters();
        proxy.stop();
        const auto errors = dashboard.server_errors();
        const auto unmatched = dashboard.unmatched();
        const auto requests = dashboard.request_count();
        const auto dashboard_connections = dashboard.connections_accepted();
        dashboard.stop();
        rusage usage{};
        ::getrusage(RUSAGE_SELF, &usage);
        line = std::to_string(counters.accepted) + " " + std::to_string(counters.cuts_fin) + " " +
               std::to_string(counters.cuts_rst) + " " + std::to_string(counters.bytes) + " " +
               std::to_string(requests) + " " + std::to_string(unmatched.size()) + " " + std::to_string(errors.size()) +
               " " + std::to_string(usage.ru_maxrss) + " " + std::to_string(dashboard_connections) + " " +
               std::to_string(status->gets.load()) + " " + std::to_string(status->lists.load()) + " " +
               std::to_string(status->per_second.size());
        for (const auto& n : status->per_second) line += " " + std::to_string(n.load());
        line += "\n";
        for (const auto& e : errors) std::cerr << "fake dashboard error: " << e << "\n";
        for (const auto& u : unmatched)
            std::cerr << "fake dashboard unmatched: " << u.method << " " << u.target << "\n";
    }
    return line;
}

// ---------------------------------------------------------------------------------------------
// The client side.

struct tail_result {
    std::uint64_t delivered = 0;  // lines received
    std::uint64_t next = 0;       // index of the next line expected
    std::uint64_t skipped = 0;    // lines jumped over (lost)
    std::uint64_t duplicates = 0;
    std::uint64_t out_of_order = 0;
    std::uint64_t corrupt = 0;  // a line whose text or kind is not the generated line
    raycl::stream_stats stats;
    std::string error;
    bool done = false;
};

struct totals {
    std::atomic<std::uint64_t> delivered{0};
    std::atomic<std::size_t> finished{0};
    std::atomic<std::size_t> started{0};
};

/// The index in its job of a generated line "line <n> ...", or -1.
long long line_number(const std::string& text, std::uint64_t base) {
    if (text.rfind("line ", 0) != 0) return -1;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data() + 5, text.data() + text.size(), n);
    if (ec != std::errc{} || n < base) return -1;
    return static_cast<long long>(n - base);
}

asio::awaitable<void> consume(raycl::client& ray, std::size_t j, raycl::tail_options options, std::uint64_t total,
                              tail_result& r, totals& sums) {
    const std::uint64_t base = j * job_stride;
    try {
        auto open = ray.tail_job_logs(job_id_of(j), options);
        raycl::log_stream stream = co_await std::move(open);
        sums.started.fetch_add(1, std::memory_order_relaxed);
        try {
            std::string expected;
            for (;;) {
                auto next = stream.next();
                std::optional<raycl::log_line> line = co_await std::move(next);
                if (!line) break;
                ++r.delivered;
                sums.delivered.fetch_add(1, std::memory_order_relaxed);
                expected.clear();
                raycl::test::append_generated_log_line(expected, base + r.next);
                expected.pop_back();
                if (line->text == expected && line->newline && line->kind == raycl::line_kind::whole) {
                    ++r.next;
                    continue;
                }
                const long long n = line_number(line->text, base);
                if (n < 0 || static_cast<std::uint64_t>(n) >= total) {
                    ++r.corrupt;
                } else if (static_cast<std::uint64_t>(n) < r.next) {
                    ++r.duplicates;
                } else if (static_cast<std::uint64_t>(n) == r.next) {
                    ++r.corrupt;  // right number, wrong text or kind
                    ++r.next;
                } else {
                    ++r.out_of_order;
                    r.skipped += static_cast<std::uint64_t>(n) - r.next;
                    r.next = static_cast<std::uint64_t>(n) + 1;
                }
            }
        } catch (const std::exception& e) {
            r.error = e.what();
        }
        r.stats = stream.stats();
    } catch (const std::exception& e) {
        r.error = std::string("open: ") + e.what();
    }
    r.done = true;
    sums.finished.fetch_add(1, std::memory_order_release);
}

struct sample {
    double t;
    std::uint64_t rss;
    std::uint64_t fds;
    std::uint64_t lines;
};

}  // namespace

int main(int argc, char** argv) {
    const settings s = parse(argc, argv);
    ::signal(SIGPIPE, SIG_IGN);
    // 1,000 tails need ~1,050 descriptors here and ~3,000 in the server: raise the soft limit.
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }

    // The server first, before this process starts any thread (fork copies only the caller).
    const auto peer = raycl::soak::fork_peer("raycl_soak server",
                                             [&s](int control, int report) { return serve(s, control, report); });
    if (peer.pid < 0) return 2;
    const pid_t child = peer.pid;
    FILE* report = peer.report;
    unsigned port = 0;
    if (!report || std::fscanf(report, "%u", &port) != 1 || port == 0) {
        std::cerr << "raycl_soak: the server did not start\n";
        return 2;
    }

    const std::uint64_t total = s.lines_per_tail();
    const auto sample_every = std::chrono::duration<double>(std::max(1.0, std::ceil(s.duration / 600.0)));
    std::vector<sample> samples;
    const auto begin = clock_type::now();
    auto take = [&](std::uint64_t lines) {
        sample x{std::chrono::duration<double>(clock_type::now() - begin).count(), rss_kib(), open_fds(), lines};
        samples.push_back(x);
        return x;
    };
    std::vector<tail_result> results(s.tails);
    totals sums;
    asio::io_context ioc(static_cast<int>(s.threads));
    auto guard = asio::make_work_guard(ioc);
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < s.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });
    {
        // Asio creates its reactor (epoll, eventfd, timerfd) with the first socket and keeps it
        // as long as the io_context: make it part of the baseline.
        asio::ip::tcp::socket probe(ioc);
        probe.open(asio::ip::tcp::v4());
    }
    // The baseline: the event loop and its threads exist, the client does not yet.
    const auto fds_start = open_fds();
    const auto rss_start = rss_kib();

    raycl::client_options options;
    options.address = "http://127.0.0.1:" + std::to_string(port);
    options.discover_token = false;
    options.stream_limits.queue_size = s.queue_size;
    // The soak tests transport, not the per-stream caps: let every line through.
    options.stream_limits.max_lines = std::size_t{1} << 40;
    options.stream_limits.max_messages = std::size_t{1} << 40;
    options.stream_limits.max_bytes = std::size_t{1} << 50;
    const std::size_t idle_per_strand = options.max_idle_connections_per_strand;
    auto ray = std::make_unique<raycl::client>(ioc.get_executor(), options);

    raycl::tail_options tail;
    tail.protocol = s.protocol == "websocket" ? raycl::tail_protocol::websocket
                    : s.protocol == "stream"  ? raycl::tail_protocol::stream
                                              : raycl::tail_protocol::automatic;
    tail.max_reconnects = s.max_reconnects;
    tail.stream_timeout = raycl::seconds(30.0);

    for (std::size_t j = 0; j < s.tails; ++j)
        asio::co_spawn(ioc, consume(*ray, j, tail, total, results[j], sums), asio::detached);

    // Samples until every tail ended or the deadline (the jobs' end + 60 s).
    const auto deadline =
        begin + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(s.duration + 61.0));
    bool hung = false;
    auto next_sample = begin;
    for (;;) {
        if (sums.finished.load(std::memory_order_acquire) == s.tails) break;
        if (clock_type::now() >= deadline) {
            hung = true;
            break;
        }
        const auto now = clock_type::now();
        if (now >= next_sample) {
            const auto x = take(sums.delivered.load());
            const auto c = ray->stats();
            std::fprintf(stderr, "t=%.0fs rss=%llu KiB fds=%llu lines=%llu open_tails=%zu connections_opened=%llu\n",
                         x.t, static_cast<unsigned long long>(x.rss), static_cast<unsigned long long>(x.fds),
                         static_cast<unsigned long long>(x.lines), sums.started.load() - sums.finished.load(),
                         static_cast<unsigned long long>(c.connections_opened));
            next_sample += std::chrono::duration_cast<clock_type::duration>(sample_every);
        }
        std::this_thread::sleep_for(50ms);
    }
    const double tail_seconds = std::chrono::duration<double>(clock_type::now() - begin).count();
    const auto client_counters = ray->stats();

    // Teardown: on a hang, destroying the client cancels the tails still running.
    if (hung) {
        std::cerr << "raycl_soak: " << s.tails - sums.finished.load() << " tails still running at the deadline\n";
        ray.reset();
        const auto stop = clock_type::now() + 15s;
        while (sums.finished.load(std::memory_order_acquire) < s.tails && clock_type::now() < stop)
            std::this_thread::sleep_for(50ms);
    }
    const sample after_streams = take(sums.delivered.load());  // every stream destroyed
    ::malloc_trim(0);
    const sample trimmed = take(sums.delivered.load());
    ray.reset();
    guard.reset();
    for (auto& t : threads) t.join();
    const sample after_client = take(sums.delivered.load());
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);

    // The server's figures.
    if (::write(peer.control, "q", 1) < 0) std::perror("write");
    unsigned long long accepted = 0, cuts_fin = 0, cuts_rst = 0, proxied = 0, requests = 0, unmatched = 0,
                       server_errors = 0, server_maxrss = 0, dashboard_connections = 0, status_gets = 0,
                       status_lists = 0, status_seconds = 0;
    bool server_ok = std::fscanf(report, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &accepted,
                                 &cuts_fin, &cuts_rst, &proxied, &requests, &unmatched, &server_errors, &server_maxrss,
                                 &dashboard_connections, &status_gets, &status_lists, &status_seconds) == 12;
    std::vector<unsigned long long> status_per_second(server_ok ? status_seconds : 0);
    for (auto& n : status_per_second) server_ok = server_ok && std::fscanf(report, "%llu", &n) == 1;
    int child_status = 0;
    ::waitpid(child, &child_status, 0);
    rusage child_usage{};
    ::getrusage(RUSAGE_CHILDREN, &child_usage);

    // Figures.
    std::uint64_t delivered = 0, duplicates = 0, lost = 0, out_of_order = 0, corrupt = 0, reconnects = 0;
    std::uint64_t failed = 0, static_log_bytes = 0, fell_back = 0;
    std::size_t queue_peak = 0;
    std::uint64_t reconnects_max = 0;
    json::array errors;
    for (const auto& r : results) {
        delivered += r.delivered;
        duplicates += r.duplicates;
        out_of_order += r.out_of_order;
        corrupt += r.corrupt;
        lost += r.skipped + (total - std::min(total, r.next));
        reconnects += r.stats.reconnects;
        reconnects_max = std::max<std::uint64_t>(reconnects_max, r.stats.reconnects);
        static_log_bytes += r.stats.static_log_bytes;
        queue_peak = std::max(queue_peak, r.stats.queue_peak);
        if (s.protocol == "auto" && r.stats.protocol == raycl::tail_protocol::stream) ++fell_back;
        if (!r.error.empty()) {
            ++failed;
            if (errors.size() < 10) errors.emplace_back(r.error);
        }
    }
    std::uint64_t rss_peak = rss_start, fds_peak = fds_start;
    for (const auto& x : samples) {
        rss_peak = std::max(rss_peak, x.rss);
        fds_peak = std::max(fds_peak, x.fds);
    }
    // Steady state: the RSS at 25% of the run vs the highest RSS from 50% of the run to the jobs'
    // end (before the tails finish and fetch their static logs).
    auto rss_at = [&](double t) {
        std::uint64_t v = 0;
        for (const auto& x : samples)
            if (x.t <= t) v = x.rss;
        return v;
    };
    std::uint64_t rss_steady_max = 0;
    for (const auto& x : samples)
        if (x.t >= s.duration * 0.5 && x.t <= s.duration) rss_steady_max = std::max(rss_steady_max, x.rss);
    const std::uint64_t rss_quarter = rss_at(s.duration * 0.25);
    const double steady_growth =
        rss_quarter > 0 && rss_steady_max > 0 ? static_cast<double>(rss_steady_max) / rss_quarter - 1.0 : 0.0;
    const std::uint64_t fds_allowed_with_client = fds_start + 5 * idle_per_strand + 4;
    // The tails' steady polls: job-status requests per second while the jobs run, after the
    // tails opened (their opening GET /api/jobs/{id} each) and before the jobs end.
    const std::size_t steady_from = std::min<std::size_t>(10, static_cast<std::size_t>(s.duration / 2));
    const auto steady_to = static_cast<std::size_t>(s.duration);
    std::uint64_t steady_requests = 0, steady_peak = 0;
    for (std::size_t t = steady_from; t < steady_to && t < status_per_second.size(); ++t) {
        steady_requests += status_per_second[t];
        steady_peak = std::max<std::uint64_t>(steady_peak, status_per_second[t]);
    }
    const double steady_rate = steady_to > steady_from
                                   ? static_cast<double>(steady_requests) / static_cast<double>(steady_to - steady_from)
                                   : 0.0;
    const std::uint64_t lines_expected = total * s.tails;

    json::object checks;
    checks["all_lines_exactly_once_in_order"] =
        delivered == lines_expected && duplicates == 0 && lost == 0 && out_of_order == 0 && corrupt == 0;
    checks["no_tail_failed"] = failed == 0;
    checks["no_hang"] = !hung;
#if defined(__SANITIZE_ADDRESS__)
    // ASan's quarantine keeps freed memory resident by design (RSS grows in any long run), so the
    // flat-RSS check means nothing there; LeakSanitizer checks leaks at exit instead.
    const bool rss_is_meaningful = false;
#else
    const bool rss_is_meaningful = true;
#endif
    if (rss_is_meaningful) checks["rss_steady_growth_below_10pct"] = s.duration < 8 || steady_growth < 0.10;
    checks["fds_after_streams_within_pool"] = after_streams.fds <= fds_allowed_with_client;
    checks["fds_after_client_back_to_start"] = after_client.fds <= fds_start + 2;
    checks["server_clean"] =
        server_ok && unmatched == 0 && server_errors == 0 && WIFEXITED(child_status) && WEXITSTATUS(child_status) == 0;
    bool ok = true;
    for (const auto& [name, value] : checks) ok = ok && value.as_bool();

    json::array rss_samples;
    for (const auto& x : samples)
        rss_samples.emplace_back(
            json::object{{"t", std::round(x.t * 10) / 10}, {"rss", x.rss}, {"fds", x.fds}, {"lines", x.lines}});
    json::object out;
    out["tails"] = s.tails;
    out["duration_s"] = s.duration;
    out["protocol"] = s.protocol;
    out["disconnect_rate"] = s.disconnect_rate;
    out["queue_size"] = s.queue_size;
    out["lines_per_second_per_tail"] = s.lines_per_second;
    out["seed"] = s.seed;
    out["threads"] = s.threads;
    out["run_s"] = std::round(tail_seconds * 10) / 10;
    out["lines_expected"] = lines_expected;
    out["lines_delivered"] = delivered;
    out["duplicates"] = duplicates;
    out["lost"] = lost;
    out["out_of_order"] = out_of_order;
    out["corrupt"] = corrupt;
    out["failed_tails"] = failed;
    out["errors"] = errors;
    out["reconnects"] = reconnects;
    out["reconnects_max_per_tail"] = reconnects_max;
    out["max_reconnects"] = s.max_reconnects;
    out["fell_back_to_stream"] = fell_back;
    out["static_log_bytes"] = static_log_bytes;
    out["queue_peak"] = queue_peak;
    out["disconnects_injected"] = cuts_fin + cuts_rst;
    out["disconnects_fin"] = cuts_fin;
    out["disconnects_rst"] = cuts_rst;
    out["proxy_connections"] = accepted;
    out["proxy_bytes"] = proxied;
    out["server_requests"] = requests;
    out["job_status_requests"] = status_gets + status_lists;
    out["job_status_get_requests"] = status_gets;
    out["job_status_list_requests"] = status_lists;
    out["job_status_requests_per_s"] =
        tail_seconds > 0 ? std::round(static_cast<double>(status_gets + status_lists) / tail_seconds * 100) / 100 : 0.0;
    out["job_status_requests_per_s_steady"] = std::round(steady_rate * 100) / 100;
    out["job_status_requests_peak_per_s_steady"] = steady_peak;
    out["job_status_steady_window_s"] = json::array{steady_from, steady_to};
    out["dashboard_connections_accepted"] = dashboard_connections;
    out["client_connections_opened"] = client_counters.connections_opened;
    out["client_requests_sent"] = client_counters.requests_sent;
    out["client_retries"] = client_counters.retries;
    out["rss_kib"] = rss_samples;
    out["rss_start"] = rss_start;
    out["rss_peak"] = rss_peak;
    out["rss_quarter"] = rss_quarter;
    out["rss_steady_max"] = rss_steady_max;
    out["rss_steady_growth"] = std::round(steady_growth * 10000) / 10000;
    out["rss_after_streams"] = after_streams.rss;
    out["rss_end"] = trimmed.rss;  // after malloc_trim, client still alive
    out["rss_after_client"] = after_client.rss;
    out["fds_start"] = fds_start;
    out["fds_peak"] = fds_peak;
    out["fds_end"] = after_streams.fds;
    out["fds_after_client"] = after_client.fds;
    out["cpu_user_s"] = seconds_of(usage.ru_utime);
    out["cpu_sys_s"] = seconds_of(usage.ru_stime);
    out["server_cpu_user_s"] = seconds_of(child_usage.ru_utime);
    out["server_cpu_sys_s"] = seconds_of(child_usage.ru_stime);
    out["server_maxrss_kib"] = server_maxrss;
    out["server_in_child_process"] = true;
    out["criteria"] =
        "every line delivered exactly once, in order, with its content; no tail failed; all tails ended "
        "before the jobs' end + 61 s; RSS max over [50%, 100%] of the duration < 1.10 x RSS at 25% "
        "(runs >= 8 s); fds after all streams are destroyed <= fds_start + 5 strands x idle pool + 4; "
        "fds after the client is destroyed <= fds_start + 2; fake server without errors or unmatched "
        "requests";
    out["checks"] = checks;
    out["ok"] = ok;
    std::cout << json::serialize(out) << std::endl;
    if (!s.json) {
        std::cerr << "lines " << delivered << "/" << lines_expected << " dup " << duplicates << " lost " << lost
                  << " reconnects " << reconnects << " disconnects " << cuts_fin + cuts_rst << " ok " << ok << "\n";
    }
    return ok ? 0 : 1;
}
