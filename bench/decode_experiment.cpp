// The measured experiment behind bench/README.md's "2. decode": what each step towards a decoder
// without a DOM would buy, on the harness's own bodies (bench/harness.py make_data: 10,000 jobs,
// 10,000 tasks). Bench-only: nothing here is used by the SDK.
//
// Variants (for jobs and for tasks):
//   parse          boost::json::parse only (DOM, default resource): the floor of any DOM design
//   arena          parse into a monotonic_resource over a reused buffer, only
//   current        raycl's decoders as the bench measures them: decode_job_list(parse(body)),
//                  decode_state_list(parse(body), &decode_task)
//   arena_current  the same decoders over a DOM parsed into a shared monotonic_resource (no header
//                  change; `raw = std::move(row)` then copies each row out of the arena)
//   text           what the client runs since the SAX prototype went into src/core
//                  (core/record_decoder.hpp): decode_job_list_text / decode_task_list_text over
//                  the body as a shared text, no DOM, each record's raw a lazy view of its text
//                  (the body is shared across repetitions, made before the clock)
//   tokenize       basic_parser with a handler that ignores every event: the floor of any
//                  decoder on Boost.JSON's parser
//   none           nothing (the baseline of a peak-RSS run under /usr/bin/time -v)
//
// Usage: raycl_bench_decode_experiment jobs|tasks FILE REPETITIONS VARIANT[,VARIANT...]
//        raycl_bench_decode_experiment check JOBS_FILE TASKS_FILE
// The variants run interleaved (each repetition runs every variant once, the order rotating).
// One JSON line per variant: medians and minimums in ms to the finished result (`result`) and
// including destroying it (`total`; bench/raycl_bench's decode window includes the destruction,
// bench/peers.py's excludes it).
// `check` compares text with current on both files and on small hand-made bodies (typed
// fields, list counts, error messages, raw objects).
//
// The prototype of the SAX handler itself (variants sax, sax_reserved, sax_raw, measured in
// results/2026-12-02T162244Z-decode-experiment.json) is in git history (a083073); its production
// form is src/core/record_decoder.cpp.
#include "core/json_reader.hpp"
#include "core/models_json.hpp"
#include "core/record_decoder.hpp"
#include "core/responses.hpp"
#include "core/sanitize.hpp"
#include "support/record_equality.hpp"

#include <raycl/error.hpp>

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <tuple>
#include <vector>

namespace {
namespace json = boost::json;
namespace core = raycl::core;
using raycl::job_details;
using raycl::task_info;
using clock_type = std::chrono::steady_clock;
using raycl::test::counts;
using raycl::test::outcome;
using raycl::test::typed;

template <class Handler>
void run_parser(json::basic_parser<Handler>& parser, std::string_view body) {
    json::error_code ec;
    std::size_t n = parser.write_some(false, body.data(), body.size(), ec);
    if (!ec && n != body.size()) ec = json::error::extra_data;
    if (ec) throw boost::system::system_error(ec);
}

/// The request the text decoders name in their errors.
core::request_spec experiment_request() {
    core::request_spec request;
    request.target = "/api/jobs/";
    return request;
}

// ---- measurement ---------------------------------------------------------------------------

/// basic_parser's own work: every event ignored (the floor of any Boost.JSON decoder).
struct null_handler {
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);
    using sv = json::string_view;
    using ec = json::error_code;
    bool on_document_begin(ec&) { return true; }
    bool on_document_end(ec&) { return true; }
    bool on_object_begin(ec&) { return true; }
    bool on_object_end(std::size_t, ec&) { return true; }
    bool on_array_begin(ec&) { return true; }
    bool on_array_end(std::size_t, ec&) { return true; }
    bool on_key_part(sv, std::size_t, ec&) { return true; }
    bool on_key(sv, std::size_t, ec&) { return true; }
    bool on_string_part(sv, std::size_t, ec&) { return true; }
    bool on_string(sv, std::size_t, ec&) { return true; }
    bool on_number_part(sv, ec&) { return true; }
    bool on_int64(std::int64_t, sv, ec&) { return true; }
    bool on_uint64(std::uint64_t, sv, ec&) { return true; }
    bool on_double(double, sv, ec&) { return true; }
    bool on_bool(bool, ec&) { return true; }
    bool on_null(ec&) { return true; }
    bool on_comment_part(sv, ec&) { return true; }
    bool on_comment(sv, ec&) { return true; }
};

/// Tokenizes the body (a result of one "record", to fit measure()).
std::vector<int> tokenize(std::string_view body) {
    json::basic_parser<null_handler> parser(json::parse_options{});
    run_parser(parser, body);
    return {0};
}

/// Counts the bytes a DOM asks for (to size the reused arena).
class counting_resource final : public json::memory_resource {
public:
    std::size_t bytes = 0;

private:
    void* do_allocate(std::size_t n, std::size_t align) override {
        bytes += n;
        return ::operator new(n, std::align_val_t(align));
    }
    void do_deallocate(void* p, std::size_t n, std::size_t align) override {
        ::operator delete(p, n, std::align_val_t(align));
    }
    bool do_is_equal(const json::memory_resource& other) const noexcept override { return this == &other; }
};

/// A DOM in its own arena (the value goes first).
struct arena_dom {
    std::unique_ptr<json::monotonic_resource> resource;
    json::value value;
};

std::size_t size_of(const json::value& v) { return v.is_array() ? v.get_array().size() : v.get_object().size(); }
std::size_t size_of(const arena_dom& d) { return size_of(d.value); }
template <class T>
std::size_t size_of(const std::vector<T>& v) { return v.size(); }
template <class T>
std::size_t size_of(const raycl::list_result<T>& v) { return v.items.size(); }
template <class A, class B>
std::size_t size_of(const std::pair<A, B>& v) { return size_of(v.first); }

struct sample {
    double result_ms, total_ms;
    std::size_t records;
};

/// Times `make()`: to its result, and including the result's destruction.
template <class Make>
sample measure(Make make) {
    const auto start = clock_type::now();
    clock_type::time_point ready;
    std::size_t records = 0;
    {
        auto result = make();
        ready = clock_type::now();
        records = size_of(result);
    }
    const auto stop = clock_type::now();
    using ms = std::chrono::duration<double, std::milli>;
    return {ms(ready - start).count(), ms(stop - start).count(), records};
}

/// The file in one string, read in place (no second copy raising the peak RSS of a run).
std::string read_file(const std::string& path) {
    std::ifstream file(path, std::ios::binary | std::ios::ate);
    std::string text(static_cast<std::size_t>(file.tellg()), '\0');
    file.seekg(0);
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    return text;
}

using variant_table = std::vector<std::pair<std::string, std::function<sample()>>>;

variant_table variants_for(const std::string& kind, const std::string& body, std::vector<unsigned char>& arena) {
    const bool jobs = kind == "jobs";
    const auto shared = std::make_shared<const std::string>(body);
    variant_table table;
    table.emplace_back("none", [] { return sample{0, 0, 0}; });
    table.emplace_back("tokenize", [&body] { return measure([&] { return tokenize(body); }); });
    table.emplace_back("parse", [&body] { return measure([&] { return json::parse(body); }); });
    table.emplace_back("arena", [&body, &arena] {
        return measure([&] {
            // Built in place: assigning a value of another resource would copy it.
            auto resource = std::make_unique<json::monotonic_resource>(arena.data(), arena.size());
            json::value value = json::parse(body, resource.get());
            return arena_dom{std::move(resource), std::move(value)};
        });
    });
    if (jobs) {
        table.emplace_back("current", [&body] { return measure([&] { return core::decode_job_list(json::parse(body)); }); });
        table.emplace_back("arena_current", [&body] {
            return measure([&] {
                return core::decode_job_list(
                    json::parse(body, json::make_shared_resource<json::monotonic_resource>(body.size())));
            });
        });
        table.emplace_back("text", [shared] {
            return measure([&] { return core::decode_job_list_text(shared, experiment_request()); });
        });
    } else {
        table.emplace_back("current", [&body] {
            return measure([&] { return core::decode_state_list(json::parse(body), &core::decode_task); });
        });
        table.emplace_back("arena_current", [&body] {
            return measure([&] {
                return core::decode_state_list(
                    json::parse(body, json::make_shared_resource<json::monotonic_resource>(body.size())),
                    &core::decode_task);
            });
        });
        table.emplace_back("text", [shared] {
            return measure([&] { return core::decode_task_list_text(shared, experiment_request()); });
        });
    }
    return table;
}

int run_timing(const std::string& kind, const std::string& path, int repetitions, const std::string& names) {
    const std::string body = read_file(path);
    // The reused arena of `arena`: the DOM's bytes plus an eighth (a miss falls back to the heap).
    // Only then, so that a peak-RSS run of another variant holds neither the arena nor a freed DOM.
    counting_resource counter;
    std::vector<unsigned char> arena;
    if (("," + names + ",").find(",arena,") != std::string::npos) {
        json::parse(body, &counter);
        arena.resize(counter.bytes + counter.bytes / 8);
    }
    variant_table table = variants_for(kind, body, arena);
    std::vector<std::pair<std::string, std::vector<sample>>> chosen;
    for (std::size_t pos = 0; pos <= names.size();) {
        std::size_t comma = std::min(names.find(',', pos), names.size());
        std::string name = names.substr(pos, comma - pos);
        pos = comma + 1;
        auto it = std::find_if(table.begin(), table.end(), [&](const auto& v) { return v.first == name; });
        if (it == table.end()) {
            std::cerr << "unknown variant " << name << "\n";
            return 2;
        }
        chosen.emplace_back(name, std::vector<sample>{});
    }
    // The variants share the process's heap (glibc's mmap threshold adapts to what was freed), so
    // the order rotates every repetition.
    for (int r = 0; r < repetitions; ++r) {
        for (std::size_t i = 0; i < chosen.size(); ++i) {
            auto& [name, samples] = chosen[(i + static_cast<std::size_t>(r)) % chosen.size()];
            auto it = std::find_if(table.begin(), table.end(), [&](const auto& v) { return v.first == name; });
            samples.push_back(it->second());
        }
    }
    for (auto& [name, samples] : chosen) {
        auto stat = [&](double sample::*field) {
            std::vector<double> v;
            for (const auto& s : samples) v.push_back(s.*field);
            std::sort(v.begin(), v.end());
            return std::pair{v[v.size() / 2], v.front()};
        };
        auto [result_median, result_min] = stat(&sample::result_ms);
        auto [total_median, total_min] = stat(&sample::total_ms);
        json::array totals;
        for (const auto& s : samples) totals.push_back(s.total_ms);
        json::object out{{"bench", "decode_experiment"}, {"kind", kind},           {"variant", name},
                         {"records", samples.back().records}, {"body_bytes", body.size()}, {"dom_bytes", counter.bytes},
                         {"repetitions", repetitions},   {"median_ms_result", result_median},
                         {"min_ms_result", result_min},  {"median_ms_total", total_median},
                         {"min_ms_total", total_min},    {"samples_ms_total", totals}};
        std::cout << json::serialize(out) << std::endl;
    }
    return 0;
}

// ---- check ---------------------------------------------------------------------------------

int failures = 0;
void expect(bool ok, const std::string& what) {
    if (!ok) {
        ++failures;
        std::cerr << "MISMATCH: " << what << "\n";
    }
}

template <class Rows>
void compare_rows(const Rows& dom, const Rows& text, const std::string& what) {
    expect(dom.size() == text.size(), what + ": record count");
    for (std::size_t i = 0; i < std::min(dom.size(), text.size()); ++i) {
        expect(typed(dom[i]) == typed(text[i]), what + ": record " + std::to_string(i));
        expect(json::value(*text[i].raw) == json::value(*dom[i].raw), what + ": raw of record " + std::to_string(i));
    }
}

std::shared_ptr<const std::string> shared_text(const std::string& body) {
    return std::make_shared<const std::string>(body);
}

void check_jobs(const std::string& body, const std::string& what) {
    std::vector<job_details> dom, text;
    std::string a = outcome([&] { dom = core::decode_job_list(core::parse_json_body(experiment_request(), body)); });
    std::string b = outcome([&] { text = core::decode_job_list_text(shared_text(body), experiment_request()); });
    expect(a == b, what + ": outcome '" + a + "' vs '" + b + "'");
    if (a == "ok" && b == "ok") compare_rows(dom, text, what);
}

void check_tasks(const std::string& body, const std::string& what) {
    raycl::list_result<task_info> dom, text;
    std::string a = outcome(
        [&] { dom = core::decode_state_list(core::parse_json_body(experiment_request(), body), &core::decode_task); });
    std::string b = outcome([&] { text = core::decode_task_list_text(shared_text(body), experiment_request()); });
    expect(a == b, what + ": outcome '" + a + "' vs '" + b + "'");
    if (a == "ok" && b == "ok") {
        expect(counts(dom) == counts(text), what + ": list counts");
        compare_rows(dom.items, text.items, what);
    }
}

int run_check(const std::string& jobs_path, const std::string& tasks_path) {
    check_jobs(read_file(jobs_path), jobs_path);
    check_tasks(read_file(tasks_path), tasks_path);
    const std::string ok = R"("status": "SUCCEEDED", "entrypoint": "e")";
    const std::vector<std::string> jobs{
        "[]", "{}", "3", "[1]", "[[]]", "[{}]", R"([{"status": "X"}])", R"([{"status": null, "entrypoint": "e"}])",
        R"([{"status": 1, "entrypoint": "e"}])", "[{" + ok + R"(, "metadata": {"a": "1", "b": "2"}}])",
        "[{" + ok + R"(, "metadata": {"a": 1}}])", "[{" + ok + R"(, "metadata": [1]}])", "[{" + ok + R"(, "metadata": "x"}])",
        "[{" + ok + R"(, "driver_info": {"pid": 2, "id": "j"}}])", "[{" + ok + R"(, "driver_info": {"pid": 2.5}}])",
        "[{" + ok + R"(, "driver_info": {"pid": true}}])", "[{" + ok + R"(, "driver_info": "x"}])",
        "[{" + ok + R"(, "driver_info": [1]}])", "[{" + ok + R"(, "driver_info": null}])", "[{" + ok + R"(, "driver_info": null})",
        "[{" + ok + R"(, "start_time": "123", "end_time": 1.5e3, "driver_exit_code": 18446744073709551615}])",
        "[{" + ok + R"(, "start_time": "12x"}])", "[{" + ok + R"(, "start_time": 9223372036854775807}])",
        "[{" + ok + R"(, "runtime_env": {"pip": ["x", {"y": [1, 2.5, true, null]}], "env_vars": {"A": "1"}}}])",
        "[{" + ok + R"(, "runtime_env": [1]}])", "[{" + ok + R"(, "runtime_env": {}}])",
        "[{" + ok + R"(, "type": "DRIVER", "x": {"y": [1, {"z": 2}]}, "job_id": null}])",
        R"([{"status": "RUNNING", "entrypoint": "a\"b\u00e9\n", "message": "\ud83d\ude00"}])",
        R"([{"st\u0061tus": "RUNNING", "entrypoint": "e"}, {"status": "PENDING", "entrypoint": "f"}])",
        "[{" + ok + R"(, "job_id": "a"}, {)" + ok + R"(, "job_id": "b"}] )", "[{" + ok + "}] x", "[{" + ok + "]",
        "[{" + ok + R"(, "status": "FAILED"}])", "[{" + ok + R"(, "entrypoint": null}])"};
    for (const auto& body : jobs) check_jobs(body, body);
    const std::string row = R"({"task_id": "t", "attempt_number": "2", "worker_pid": 7})";
    const std::vector<std::string> tasks{
        R"({"result": true, "msg": "", "data": {"result": {"total": 5, "result": [)" + row + "," + row +
            R"(], "partial_failure_warning": "w", "warnings": ["a", "b"]}}})",
        R"({"data": {"result": {"result": []}}})", R"({"result": false, "msg": "boom", "data": {"result": {"result": []}}})",
        R"({"data": {"result": {"result": {}}}})", R"({"data": {"result": {"result": [1]}}})",
        R"({"data": {"result": {"result": [{}]}}})", R"({"data": {"result": {}}})", R"({"data": {}})", R"({})", "[]",
        R"({"data": {"result": {"result": [{"task_id": "t", "attempt_number": null, "name": 3}]}}})",
        R"({"data": {"result": {"result": [{"task_id": "t", "worker_pid": "x"}]}}})",
        R"({"data": {"result": {"warnings": [1], "result": []}}})", R"({"data": 3})"};
    for (const auto& body : tasks) check_tasks(body, body);
    std::printf("{\"check\": %s, \"mismatches\": %d, \"job_cases\": %zu, \"task_cases\": %zu}\n",
                failures ? "false" : "true", failures, jobs.size() + 1, tasks.size() + 1);
    return failures ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "check" && argc == 4) return run_check(argv[2], argv[3]);
    if ((command == "jobs" || command == "tasks") && argc == 5)
        return run_timing(command, argv[2], std::stoi(argv[3]), argv[4]);
    std::cerr << "usage: raycl_bench_decode_experiment jobs|tasks FILE REPETITIONS VARIANT[,VARIANT...]\n"
                 "       raycl_bench_decode_experiment check JOBS_FILE TASKS_FILE\n";
    return 2;
}
