// raycl's benchmark driver: one measurement per run, printed as one JSON object on stdout.
// bench/harness.py runs it interleaved with the peers (Ray's Python client, requests, aiohttp,
// websockets, wrk) against the same loopback server. Subcommands:
//
//   get-job   --url U --id ID --concurrency C (--duration S [--warmup S] | --count N)
//             C coroutines calling client::get_job on one thread; requests/s, CPU per request.
//   raw-get-job --url U --id ID --concurrency C [--decode] (--duration S [--warmup S] | --count N)
//             An experiment, not a harness peer: the same requests through Beast alone (one
//             keep-alive connection per coroutine), with --decode raycl's decode of the body.
//   decode    --kind jobs|tasks --file F [--repetitions R] [--decoder text|dom]
//             Decoding a recorded-shape body into typed results as the client does it (text:
//             core/record_decoder.hpp, no DOM, raw lazy; dom: parse + the DOM decoders, for
//             comparison); ms per list and peak extra RSS.
//   tail      --url U --id ID --protocol websocket|stream [--batch] [--pause-every L --pause-ms M]
//             [--queue-size Q] [--sample-ms T]
//             client::tail_job_logs consumed as fast as possible (or pausing: a slow consumer),
//             line by line with log_stream::next(), or with next_batch() (--batch);
//             lines/s, CPU, RSS (peak, and a time series when sampling).
//   raw-tail  --url U --id ID --protocol websocket|stream [--async [--lines]]
//             The limit: a synchronous Beast reader of the same stream that only counts bytes.
//             An experiment, not a harness peer: --async reads by coroutine instead, --lines
//             also copies each line into a std::string of its own.
//   first-line --url U --entrypoint CMD
//             Real cluster: submit_job, then tail_job_logs (WebSocket) until the first line;
//             milliseconds from before the submit to that line (and to the WebSocket's opening:
//             tail_job_logs returns once it is open).
//   package-submit --url U --dir D [--entrypoint CMD] [--compression automatic|always|never]
//             Real cluster: submit_job with runtime_env {"working_dir": D} (package, check,
//             upload when missing, submit); milliseconds of the call, per phase, and peak RSS
//             over the process's RSS before the call.
#include <raycl/raycl.hpp>

#include "core/models_json.hpp"
#include "core/record_decoder.hpp"
#include "core/responses.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;
using raycl::client;

struct arguments {
    std::map<std::string, std::string> values;
    std::string get(const std::string& name, const std::string& fallback = {}) const {
        auto it = values.find(name);
        if (it != values.end()) return it->second;
        if (fallback.empty()) throw std::invalid_argument("missing --" + name);
        return fallback;
    }
    double number(const std::string& name, double fallback) const {
        auto it = values.find(name);
        return it == values.end() ? fallback : std::stod(it->second);
    }
    bool has(const std::string& name) const { return values.count(name) != 0; }
};

double seconds_since(clock_type::time_point start) {
    return std::chrono::duration<double>(clock_type::now() - start).count();
}

double cpu_seconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

long status_kib(const char* field) {
    std::ifstream status("/proc/self/status");
    const std::string key = std::string(field) + ":";
    for (std::string line; std::getline(status, line);)
        if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
    return 0;
}

long rss_kib() {
    std::ifstream statm("/proc/self/statm");
    long pages = 0, resident = 0;
    statm >> pages >> resident;
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/// Resets VmHWM to the current RSS (Linux >= 4.0), so the next peak is this phase's.
void reset_peak_rss() {
    std::ofstream("/proc/self/clear_refs") << "5";
}

raycl::client_options options_for(const arguments& args, std::size_t concurrency) {
    raycl::client_options options;
    options.address = args.get("url");
    options.discover_token = args.has("token-from-env");
    // Keep as many idle connections as there are concurrent calls (wrk keeps its C
    // connections open too); the default pool is 4 per strand x 5 strands.
    options.max_idle_connections_per_strand = std::max<std::size_t>(4, (concurrency + 4) / 5);
    auto& limits = options.stream_limits;
    limits.max_lines = limits.max_messages = limits.max_bytes = std::numeric_limits<std::size_t>::max();
    if (args.has("queue-size")) limits.queue_size = static_cast<std::size_t>(args.number("queue-size", 1000));
    return options;
}

struct host_port {
    std::string host, port;
};

host_port split_url(const std::string& url) {
    auto rest = url.substr(url.find("://") + 3);
    const auto colon = rest.find(':');
    return {rest.substr(0, colon), rest.substr(colon + 1)};
}

// ---- get-job ------------------------------------------------------------------------------

struct get_job_counters {
    std::uint64_t done = 0;
    std::uint64_t errors = 0;
    std::uint64_t issued = 0;
    std::string last_error;
};

asio::awaitable<void> get_job_worker(client& ray, std::string id, clock_type::time_point deadline, std::uint64_t limit,
                                     get_job_counters& counters) {
    while (limit ? counters.issued < limit : clock_type::now() < deadline) {
        ++counters.issued;
        try {
            auto operation = ray.get_job(id);
            auto job = co_await std::move(operation);
            counters.done += job.submission_id ? 1 : 0;
        } catch (const std::exception& e) {
            ++counters.errors;
            counters.last_error = e.what();
        }
    }
}

/// Runs `concurrency` workers (each `make_worker(deadline, limit, counters)`) on `context`
/// until they finish.
template <class MakeWorker>
get_job_counters run_get_job_phase(asio::io_context& context, std::size_t concurrency, double seconds,
                                   std::uint64_t limit, MakeWorker make_worker) {
    get_job_counters counters;
    const auto deadline =
        clock_type::now() + std::chrono::duration_cast<clock_type::duration>(std::chrono::duration<double>(seconds));
    for (std::size_t i = 0; i < concurrency; ++i)
        asio::co_spawn(context, make_worker(deadline, limit, counters), asio::detached);
    context.restart();
    context.run();
    return counters;
}

/// A warm-up phase, then the measured one; one JSON record of the measured phase.
template <class MakeWorker>
int measure_get_job(const arguments& args, asio::io_context& context, const char* client_name,
                    MakeWorker make_worker, const std::function<std::uint64_t()>& connections_opened) {
    const auto concurrency = static_cast<std::size_t>(args.number("concurrency", 1));
    const bool counted = args.has("count");
    const auto limit = static_cast<std::uint64_t>(args.number("count", 0));
    // Warm-up: open the connections, fault in the code and the allocator's pools.
    run_get_job_phase(context, concurrency, args.number("warmup", 0.5),
                      counted ? static_cast<std::uint64_t>(args.number("warmup-count", 1)) : 0, make_worker);
    const double cpu_before = cpu_seconds();
    const auto start = clock_type::now();
    const auto counters = run_get_job_phase(context, concurrency, args.number("duration", 5), limit, make_worker);
    const double elapsed = seconds_since(start);
    const double cpu = cpu_seconds() - cpu_before;
    json::object out{{"bench", "get_job"},
                     {"client", client_name},
                     {"concurrency", concurrency},
                     {"requests", counters.done},
                     {"errors", counters.errors},
                     {"seconds", elapsed},
                     {"requests_per_s", counters.done / elapsed},
                     {"cpu_s", cpu},
                     {"cpu_us_per_request", counters.done ? cpu / counters.done * 1e6 : 0.0},
                     {"connections_opened", connections_opened()},
                     {"peak_rss_kib", status_kib("VmHWM")}};
    if (!counters.last_error.empty()) out["last_error"] = counters.last_error;
    std::cout << json::serialize(out) << std::endl;
    return counters.errors ? 1 : 0;
}

int command_get_job(const arguments& args) {
    const auto concurrency = static_cast<std::size_t>(args.number("concurrency", 1));
    const std::string id = args.get("id");
    asio::io_context context(1);
    client ray(context.get_executor(), options_for(args, concurrency));
    return measure_get_job(
        args, context, "raycl",
        [&](clock_type::time_point deadline, std::uint64_t limit, get_job_counters& counters) {
            return get_job_worker(ray, id, deadline, limit, counters);
        },
        [&] { return ray.stats().connections_opened; });
}

// ---- raw-get-job (an experiment, not one of the harness's peers) ------------------------------

asio::awaitable<void> raw_get_job_loop(asio::ip::tcp::endpoint server, std::string host, std::string target,
                                       bool decode, clock_type::time_point deadline, std::uint64_t limit,
                                       get_job_counters& counters, std::uint64_t& connections);

/// One keep-alive connection doing what get_job does on the wire with nothing around it:
/// Beast's write and read over a plain socket, by coroutine, and (with `decode`) the same JSON
/// parse and decode as raycl's get_job. The floor of a Beast-and-coroutine client on this loop.
asio::awaitable<void> raw_get_job_worker(asio::ip::tcp::endpoint server, std::string host, std::string target,
                                         bool decode, clock_type::time_point deadline, std::uint64_t limit,
                                         get_job_counters& counters, std::uint64_t& connections) {
    try {
        co_await raw_get_job_loop(server, std::move(host), std::move(target), decode, deadline, limit, counters,
                                  connections);
    } catch (const std::exception& e) {
        ++counters.errors;
        counters.last_error = e.what();
    }
}

asio::awaitable<void> raw_get_job_loop(asio::ip::tcp::endpoint server, std::string host, std::string target,
                                       bool decode, clock_type::time_point deadline, std::uint64_t limit,
                                       get_job_counters& counters, std::uint64_t& connections) {
    namespace http = beast::http;
    asio::ip::tcp::socket socket(co_await asio::this_coro::executor);
    co_await socket.async_connect(server, asio::use_awaitable);
    ++connections;
    socket.set_option(asio::ip::tcp::no_delay(true));
    beast::flat_buffer buffer;
    http::request<http::empty_body> request(http::verb::get, target, 11);
    raycl::core::request_spec get_job_spec;  // names the request in a decoder's errors
    get_job_spec.target = target;
    request.set(http::field::host, host);
    request.set(http::field::user_agent, "raycl-bench");
    while (limit ? counters.issued < limit : clock_type::now() < deadline) {
        ++counters.issued;
        co_await http::async_write(socket, request, asio::use_awaitable);
        http::response<http::string_body> response;
        co_await http::async_read(socket, buffer, response, asio::use_awaitable);
        if (response.result_int() != 200) {
            ++counters.errors;
            counters.last_error = "status " + std::to_string(response.result_int());
            continue;
        }
        if (!decode) {
            counters.done += response.body().empty() ? 0 : 1;
            continue;
        }
        const auto job = raycl::core::decode_job_details_text(
            std::make_shared<const std::string>(std::move(response.body())), get_job_spec);
        counters.done += job.submission_id ? 1 : 0;
    }
}

int command_raw_get_job(const arguments& args) {
    const auto [host, port] = split_url(args.get("url"));
    const std::string target = "/api/jobs/" + args.get("id");
    const bool decode = args.has("decode");
    asio::io_context context(1);
    asio::ip::tcp::resolver resolver(context);
    const auto server = resolver.resolve(host, port).begin()->endpoint();
    std::uint64_t connections = 0;
    return measure_get_job(
        args, context, decode ? "raw-beast-decode" : "raw-beast",
        [&](clock_type::time_point deadline, std::uint64_t limit, get_job_counters& counters) {
            return raw_get_job_worker(server, host + ":" + port, target, decode, deadline, limit, counters,
                                      connections);
        },
        [&] { return connections; });
}

// ---- decode -------------------------------------------------------------------------------

int command_decode(const arguments& args) {
    const std::string kind = args.get("kind");
    std::ifstream file(args.get("file"));
    std::stringstream text;
    text << file.rdbuf();
    const std::string body = text.str();
    const int repetitions = static_cast<int>(args.number("repetitions", 3));
    json::array samples_ms;
    long peak_extra_kib = 0;
    std::size_t records = 0;
    const bool dom = args.get("decoder", "text") == "dom";
    raycl::core::request_spec request;
    request.target = kind == "jobs" ? "/api/jobs/" : "/api/v0/tasks";
    for (int r = 0; r < repetitions; ++r) {
        // The response body as the client holds it (before the window, and in the baseline:
        // the client has it either way); the decoders of the client take it over (moved into a
        // shared text, no copy), and the records' lazy raws keep it.
        std::string response_body = body;
        const long baseline = rss_kib();
        reset_peak_rss();
        // The window ends with the typed results in hand, before they are freed, as the Python
        // peers' window does (bench/peers.py stops its clock before `del result`); any parsed
        // JSON is freed inside it on both sides.
        std::vector<raycl::job_details> jobs;
        raycl::list_result<raycl::task_info> tasks;
        const auto start = clock_type::now();
        if (dom) {  // --decoder dom: the parsed-DOM decoders, for comparison
            if (kind == "jobs")
                jobs = raycl::core::decode_job_list(raycl::core::parse_json_body(request, response_body));
            else
                tasks = raycl::core::decode_state_list(raycl::core::parse_json_body(request, response_body),
                                                       &raycl::core::decode_task);
        } else {
            // What the client's list_jobs / list_tasks call (core/record_decoder.hpp).
            auto shared_body = std::make_shared<const std::string>(std::move(response_body));
            if (kind == "jobs")
                jobs = raycl::core::decode_job_list_text(std::move(shared_body), request);
            else
                tasks = raycl::core::decode_task_list_text(std::move(shared_body), request);
        }
        records = kind == "jobs" ? jobs.size() : tasks.items.size();
        samples_ms.push_back(seconds_since(start) * 1e3);
        peak_extra_kib = std::max(peak_extra_kib, status_kib("VmHWM") - baseline);
    }
    std::vector<double> sorted;
    for (const auto& v : samples_ms) sorted.push_back(v.as_double());
    std::sort(sorted.begin(), sorted.end());
    json::object out{{"bench", "decode"},
                     {"client", "raycl"},
                     {"kind", kind},
                     {"decoder", dom ? "dom" : "text"},
                     {"records", records},
                     {"body_bytes", body.size()},
                     {"samples_ms", samples_ms},
                     {"median_ms", sorted[sorted.size() / 2]},
                     {"peak_extra_kib", peak_extra_kib}};
    std::cout << json::serialize(out) << std::endl;
    return 0;
}

// ---- tail ---------------------------------------------------------------------------------

struct tail_result {
    std::uint64_t lines = 0;
    std::uint64_t bytes = 0;
    std::size_t queue_peak = 0;
    std::string error;
};

asio::awaitable<void> drain(client& ray, std::string id, raycl::tail_options options, std::uint64_t pause_every,
                            std::chrono::milliseconds pause, bool batch, tail_result& result) {
    try {
        auto started = ray.tail_job_logs(id, options);
        auto stream = co_await std::move(started);
        asio::steady_timer timer(co_await asio::this_coro::executor);
        auto take = [&](const raycl::log_line& line) -> bool {
            ++result.lines;
            result.bytes += line.text.size() + (line.newline ? 1 : 0);
            return pause_every && result.lines % pause_every == 0;
        };
        if (batch) {
            // log_stream::next_batch(): every line already received in one await.
            for (auto lines = co_await stream.next_batch(); !lines.empty(); lines = co_await stream.next_batch()) {
                for (const auto& line : lines) {
                    if (take(line)) {
                        timer.expires_after(pause);
                        co_await timer.async_wait(asio::use_awaitable);
                    }
                }
            }
        } else {
            while (auto line = co_await stream.next()) {
                if (take(*line)) {
                    timer.expires_after(pause);
                    co_await timer.async_wait(asio::use_awaitable);
                }
            }
        }
        result.queue_peak = stream.stats().queue_peak;
    } catch (const std::exception& e) {
        result.error = e.what();
    }
}

int command_tail(const arguments& args) {
    asio::io_context context(1);
    client ray(context.get_executor(), options_for(args, 1));
    raycl::tail_options options;
    options.protocol =
        args.get("protocol") == "stream" ? raycl::tail_protocol::stream : raycl::tail_protocol::websocket;
    options.complete_from_static_log = false;
    const auto pause_every = static_cast<std::uint64_t>(args.number("pause-every", 0));
    const std::chrono::milliseconds pause(static_cast<long>(args.number("pause-ms", 0)));
    const auto sample_every = std::chrono::milliseconds(static_cast<long>(args.number("sample-ms", 0)));

    // RSS sampler thread (scenario 4): peak over time, and a coarse time series.
    std::atomic<bool> done{false};
    long peak = 0;
    json::array series;
    const long baseline = rss_kib();
    const auto start = clock_type::now();
    std::thread sampler;
    if (sample_every.count() > 0) {
        sampler = std::thread([&] {
            auto next_record = clock_type::now();
            while (!done.load()) {
                const long now_kib = rss_kib();
                peak = std::max(peak, now_kib);
                if (clock_type::now() >= next_record) {
                    series.push_back(json::array{std::round(seconds_since(start) * 100) / 100, now_kib});
                    next_record += std::chrono::milliseconds(250);
                }
                std::this_thread::sleep_for(sample_every);
            }
        });
    }
    const double cpu_before = cpu_seconds();
    tail_result result;
    asio::co_spawn(context, drain(ray, args.get("id"), options, pause_every, pause, args.has("batch"), result),
                   asio::detached);
    context.run();
    const double elapsed = seconds_since(start);
    const double cpu = cpu_seconds() - cpu_before;
    done = true;
    if (sampler.joinable()) sampler.join();
    json::object out{{"bench", "tail"},
                     {"client", "raycl"},
                     {"protocol", args.get("protocol")},
                     {"consumer", args.has("batch") ? "next_batch" : "next"},
                     {"lines", result.lines},
                     {"bytes", result.bytes},
                     {"seconds", elapsed},
                     {"lines_per_s", result.lines / elapsed},
                     {"cpu_s", cpu},
                     {"queue_peak", result.queue_peak},
                     {"rss_baseline_kib", baseline},
                     {"peak_rss_kib", status_kib("VmHWM")}};
    if (sample_every.count() > 0) {
        out["sampled_peak_rss_kib"] = peak;
        out["rss_series"] = series;
    }
    if (!result.error.empty()) out["error"] = result.error;
    std::cout << json::serialize(out) << std::endl;
    return result.error.empty() ? 0 : 1;
}

// ---- raw-tail -----------------------------------------------------------------------------

/// The `--async` form of raw-tail: the same reads by coroutine on one io_context, as an
/// asynchronous client does them; with `lines`, each line is also copied into a `std::string`
/// of its own (into a vector cleared after each read), as a per-line API hands it out.
asio::awaitable<void> raw_tail_async(const asio::ip::tcp::resolver::results_type& endpoints, std::string host,
                                     std::string target, bool websocket, bool lines, std::uint64_t& bytes,
                                     std::uint64_t& line_count) {
    namespace http = beast::http;
    std::vector<std::string> received;
    std::string partial;
    auto split = [&](const char* data, std::size_t size) {
        if (!lines) return;
        const char* end = data + size;
        for (const char* at = data; at < end;) {
            const char* newline = static_cast<const char*>(std::memchr(at, '\n', end - at));
            if (!newline) {
                partial.append(at, end);
                break;
            }
            if (partial.empty()) {
                received.emplace_back(at, newline);
            } else {
                partial.append(at, newline);
                received.push_back(std::move(partial));
                partial.clear();
            }
            at = newline + 1;
        }
        line_count += received.size();
        received.clear();
    };
    auto executor = co_await asio::this_coro::executor;
    if (websocket) {
        beast::websocket::stream<asio::ip::tcp::socket> ws(executor);
        co_await asio::async_connect(ws.next_layer(), endpoints, asio::use_awaitable);
        co_await ws.async_handshake(host, target, asio::use_awaitable);
        beast::flat_buffer buffer;
        for (;;) {
            auto [ec, n] = co_await ws.async_read(buffer, asio::as_tuple(asio::use_awaitable));
            if (ec == beast::websocket::error::closed) break;
            if (ec) throw beast::system_error(ec);
            bytes += n;
            split(static_cast<const char*>(buffer.data().data()), n);
            buffer.consume(n);
        }
    } else {
        asio::ip::tcp::socket socket(executor);
        co_await asio::async_connect(socket, endpoints, asio::use_awaitable);
        http::request<http::empty_body> request(http::verb::get, target, 11);
        request.set(http::field::host, host);
        co_await http::async_write(socket, request, asio::use_awaitable);
        beast::flat_buffer buffer;
        http::response_parser<http::buffer_body> parser;
        parser.body_limit(boost::none);
        co_await http::async_read_header(socket, buffer, parser, asio::use_awaitable);
        std::vector<char> chunk(64 * 1024);
        while (!parser.is_done()) {
            parser.get().body().data = chunk.data();
            parser.get().body().size = chunk.size();
            auto [ec, n] = co_await http::async_read(socket, buffer, parser, asio::as_tuple(asio::use_awaitable));
            (void)n;
            if (ec && ec != http::error::need_buffer) throw beast::system_error(ec);
            const auto got = chunk.size() - parser.get().body().size;
            bytes += got;
            split(chunk.data(), got);
        }
    }
}

int command_raw_tail(const arguments& args) {
    const auto [host, port] = split_url(args.get("url"));
    const std::string id = args.get("id");
    const bool websocket = args.get("protocol") != "stream";
    const bool run_async = args.has("async");
    const bool lines = args.has("lines");
    if (lines && !run_async) throw std::invalid_argument("--lines needs --async");
    const std::string websocket_target = "/api/jobs/" + id + "/logs/tail";
    const std::string stream_target = "/api/v0/logs/stream?submission_id=" + id + "&node_id=x&lines=-1";
    asio::io_context context;
    asio::ip::tcp::resolver resolver(context);
    const auto endpoints = resolver.resolve(host, port);
    const double cpu_before = cpu_seconds();
    const auto start = clock_type::now();
    std::uint64_t bytes = 0;
    std::uint64_t line_count = 0;
    if (run_async) {
        std::exception_ptr failed;
        asio::co_spawn(context,
                       raw_tail_async(endpoints, host + ":" + port, websocket ? websocket_target : stream_target,
                                      websocket, lines, bytes, line_count),
                       [&](std::exception_ptr error) { failed = error; });
        context.run();
        if (failed) std::rethrow_exception(failed);
    } else if (websocket) {
        beast::websocket::stream<asio::ip::tcp::socket> ws(context);
        asio::connect(ws.next_layer(), endpoints);
        ws.handshake(host + ":" + port, websocket_target);
        beast::flat_buffer buffer;
        for (;;) {
            beast::error_code ec;
            const auto n = ws.read(buffer, ec);
            if (ec == beast::websocket::error::closed) break;
            if (ec) throw beast::system_error(ec);
            bytes += n;
            buffer.consume(n);
        }
    } else {
        asio::ip::tcp::socket socket(context);
        asio::connect(socket, endpoints);
        namespace http = beast::http;
        http::request<http::empty_body> request(http::verb::get, stream_target, 11);
        request.set(http::field::host, host + ":" + port);
        http::write(socket, request);
        beast::flat_buffer buffer;
        http::response_parser<http::buffer_body> parser;
        parser.body_limit(boost::none);
        http::read_header(socket, buffer, parser);
        std::vector<char> chunk(64 * 1024);
        while (!parser.is_done()) {
            parser.get().body().data = chunk.data();
            parser.get().body().size = chunk.size();
            beast::error_code ec;
            http::read(socket, buffer, parser, ec);
            if (ec && ec != http::error::need_buffer) throw beast::system_error(ec);
            bytes += chunk.size() - parser.get().body().size;
        }
    }
    const double elapsed = seconds_since(start);
    const double cpu = cpu_seconds() - cpu_before;
    const std::string name = std::string("raw-beast") + (run_async ? "-async" : "") + (lines ? "-lines" : "");
    json::object out{
        {"bench", "tail"},    {"client", name}, {"protocol", args.get("protocol")},   {"bytes", bytes},
        {"seconds", elapsed}, {"cpu_s", cpu},   {"peak_rss_kib", status_kib("VmHWM")}};
    if (lines) out["lines"] = line_count;
    std::cout << json::serialize(out) << std::endl;
    return 0;
}

// ---- first-line (real cluster) --------------------------------------------------------------

asio::awaitable<void> first_line(client& ray, std::string entrypoint, double& submit_ms, double& open_ms,
                                 double& first_ms, std::string& id, std::string& error) {
    try {
        const auto start = clock_type::now();
        raycl::job_submission submission(entrypoint);
        auto submitted = ray.submit_job(std::move(submission));
        id = co_await std::move(submitted);
        submit_ms = seconds_since(start) * 1e3;
        raycl::tail_options options;
        options.protocol = raycl::tail_protocol::websocket;
        options.stream_timeout = raycl::seconds(60.0);
        auto tail = ray.tail_job_logs(id, options);
        auto stream = co_await std::move(tail);
        open_ms = seconds_since(start) * 1e3;  // the WebSocket is open when tail_job_logs returns
        auto line = co_await stream.next();
        first_ms = seconds_since(start) * 1e3;
        if (!line) error = "the log ended without a line";
        stream.close();
    } catch (const std::exception& e) {
        error = e.what();
    }
}

int command_first_line(const arguments& args) {
    asio::io_context context(1);
    client ray(context.get_executor(), options_for(args, 1));
    double submit_ms = 0, open_ms = 0, first_ms = 0;
    std::string id, error;
    asio::co_spawn(context, first_line(ray, args.get("entrypoint"), submit_ms, open_ms, first_ms, id, error),
                   asio::detached);
    context.run();
    json::object out{{"bench", "first_line"},
                     {"client", "raycl"},
                     {"submission_id", id},
                     {"submit_ms", submit_ms},
                     {"websocket_open_ms", open_ms},
                     {"first_line_ms", first_ms}};
    if (!error.empty()) out["error"] = error;
    std::cout << json::serialize(out) << std::endl;
    return error.empty() ? 0 : 1;
}

// ---- package-submit (real cluster) ----------------------------------------------------------

struct phase_times {
    std::map<std::string, std::pair<double, double>> spans;  // phase -> (first, last) ms since start
    std::uint64_t archive_bytes = 0;
    bool skipped = false;
};

asio::awaitable<void> package_submit(client& ray, raycl::job_submission submission, raycl::packaging_options packaging,
                                     std::string& id, std::string& error) {
    try {
        auto submitted = ray.submit_job(std::move(submission), std::move(packaging));
        id = co_await std::move(submitted);
    } catch (const std::exception& e) {
        error = e.what();
    }
}

int command_package_submit(const arguments& args) {
    asio::io_context context(1);
    client ray(context.get_executor(), options_for(args, 1));
    raycl::job_submission submission(args.get("entrypoint", "python main.py"));
    submission.runtime_env = json::object{{"working_dir", args.get("dir")}};
    raycl::packaging_options packaging;
    const std::string compression = args.get("compression", "automatic");
    if (compression == "always") packaging.compression = raycl::package_compression::always;
    if (compression == "never") packaging.compression = raycl::package_compression::never;
    phase_times phases;
    clock_type::time_point start;
    packaging.on_progress = [&](const raycl::packaging_progress& p) {
        const double at = seconds_since(start) * 1e3;
        auto [it, inserted] = phases.spans.try_emplace(std::string(raycl::to_string(p.phase)), at, at);
        it->second.second = at;
        if (p.phase == raycl::packaging_phase::uploading) phases.archive_bytes = p.bytes_total;
        if (p.phase == raycl::packaging_phase::skipped) phases.skipped = true;
    };
    reset_peak_rss();
    const long baseline = rss_kib();
    std::string id, error;
    start = clock_type::now();
    asio::co_spawn(context, package_submit(ray, std::move(submission), std::move(packaging), id, error),
                   asio::detached);
    context.run();
    const double submit_ms = seconds_since(start) * 1e3;
    const long peak = status_kib("VmHWM");
    json::object spans;
    for (const auto& [phase, span] : phases.spans) spans[phase] = json::array{span.first, span.second};
    json::object out{{"bench", "package_submit"},
                     {"client", "raycl"},
                     {"compression", compression},
                     {"submission_id", id},
                     {"submit_ms", submit_ms},
                     {"phases_ms", std::move(spans)},
                     {"uploaded", !phases.skipped},
                     {"archive_bytes", phases.archive_bytes},
                     {"rss_baseline_kib", baseline},
                     {"peak_rss_kib", peak},
                     {"peak_over_baseline_kib", peak - baseline}};
    if (!error.empty()) out["error"] = error;
    std::cout << json::serialize(out) << std::endl;
    return error.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::cerr << "usage: raycl_bench get-job|raw-get-job|decode|tail|raw-tail|first-line|package-submit --option value ...\n";
        return 2;
    }
    arguments args;
    for (int i = 2; i < argc; ++i) {
        std::string name = argv[i];
        if (name.rfind("--", 0) != 0) {
            std::cerr << "unexpected argument " << name << "\n";
            return 2;
        }
        name = name.substr(2);
        if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0)
            args.values[name] = argv[++i];
        else
            args.values[name] = "1";
    }
    const std::string command = argv[1];
    try {
        if (command == "get-job") return command_get_job(args);
        if (command == "raw-get-job") return command_raw_get_job(args);
        if (command == "decode") return command_decode(args);
        if (command == "tail") return command_tail(args);
        if (command == "raw-tail") return command_raw_tail(args);
        if (command == "first-line") return command_first_line(args);
        if (command == "package-submit") return command_package_submit(args);
    } catch (const std::exception& e) {
        std::cout << json::serialize(json::object{{"error", e.what()}}) << std::endl;
        return 1;
    }
    std::cerr << "unknown command " << command << "\n";
    return 2;
}
