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
//   sax            a boost::json::basic_parser handler that fills the typed results directly,
//                  without `raw` (a prototype: see "What the prototype leaves out" below)
//   sax_reserved   sax with the rows' vector reserved to the exact count (the best a size
//                  estimate could do; sax grows it by doubling, as a decoder that cannot count must)
//   sax_raw        sax plus each record's JSON text as a std::string (what a lazy `raw` would keep)
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
// `check` compares sax and sax_raw with current on both files and on small hand-made bodies
// (typed fields, list counts, error messages; sax_raw's texts parsed == current's raw).
//
// What the prototype leaves out: `raw` (sax); the state API's summaries (only the task list);
// a record whose first key has escapes or that has no key gets an empty raw text (counted);
// error precedence differs from the DOM decoders when a body has several faults (the DOM
// decoders check the envelope's `result: false` before the rows, the handler stops at the first
// fault in document order); duplicate keys: the last value wins, as in Boost.JSON's DOM.
//
// The handler necessarily mirrors the field lists of core::decode_job_details, decode_task and
// state_envelope_result (src/core/models_json.cpp): each field, its kind and its default.
#include "core/json_reader.hpp"
#include "core/models_json.hpp"
#include "core/sanitize.hpp"

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

// ---- the SAX prototype ---------------------------------------------------------------------

/// One scalar as the parser reports it: a string's text, or a value that does not allocate
/// (number, bool, null). `kind` is object or array when a container arrived where a scalar was due.
struct scalar {
    json::kind kind;
    std::string_view text{};
    json::value value{};
};

struct record_type;

enum class frame_kind { root, rows, record, string_map, string_list, capture, skip };

/// What the handler is inside of. `type` + `field` name the field a container belongs to.
struct frame {
    frame_kind kind;
    const record_type* type = nullptr;
    void* target = nullptr;
    int field = -1;             ///< record: the field of the current key (-1: unknown key)
    std::uint64_t seen = 0;     ///< record: the fields that had a non-null value
    const char* start = nullptr;  ///< a row's record: where its text starts
    bool object = false;        ///< capture: an object (else an array); root: an object is due
};

/// A record's fields, as the DOM decoder reads them.
struct record_type {
    std::string_view what;                ///< as in object_reader's messages, e.g. "job details"
    std::span<const std::string_view> keys;
    std::uint64_t required;               ///< bits of `keys` that must be present and not null
    void (*set)(void* record, int field, const scalar& value, const record_type& type);
    /// A container value of a field: the frame to push (the default: wrong type, via `set`).
    frame (*open)(void* record, int field, json::kind kind, const record_type& type);
    void (*finish)(void* record);   ///< after the record's end (may be null)
    void* (*emplace)(void* rows);   ///< rows of this type: append a record, return it
};

[[noreturn]] void wrong_type(const record_type& type, int field, std::string_view expected, json::kind got) {
    core::json_protocol_failure("field '" + std::string(type.keys[field]) + "' of " + std::string(type.what) +
                                " must be " + std::string(expected) + ", got " +
                                std::string(core::json_kind_name(got)));
}

frame default_open(void* record, int field, json::kind kind, const record_type& type) {
    type.set(record, field, scalar{kind}, type);  // throws: no container field has this setter
    core::json_protocol_failure("unreachable");
}

// The reads of object_reader, one scalar at a time. Null == missing.
void read(std::string& out, const scalar& v, const record_type& t, int f) {  // string_or_empty
    if (v.kind == json::kind::null) return out.clear();
    if (v.kind != json::kind::string) wrong_type(t, f, "a string", v.kind);
    out.assign(v.text);
}
void read(std::optional<std::string>& out, const scalar& v, const record_type& t, int f) {
    if (v.kind == json::kind::null) return out.reset();
    if (v.kind != json::kind::string) wrong_type(t, f, "a string", v.kind);
    out.emplace(v.text);
}
void read(std::optional<std::int64_t>& out, const scalar& v, const record_type& t, int f) {
    if (v.kind == json::kind::null) return out.reset();
    out = v.kind == json::kind::string ? core::json_to_int64(json::value(v.text)) : core::json_to_int64(v.value);
    if (!out) wrong_type(t, f, "an integer", v.kind);
}
void read(std::optional<bool>& out, const scalar& v, const record_type& t, int f) {
    if (v.kind == json::kind::null) return out.reset();
    if (v.kind != json::kind::bool_) wrong_type(t, f, "a boolean", v.kind);
    out = v.value.get_bool();
}

/// Fills a row type's vector, and when asked keeps where each record's text starts.
class decode_handler {
public:
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    /// `root`: an object of `root.type` (root.object) or an array of rows of it, the whole body
    /// named `root_what` in messages.
    decode_handler(frame root, std::string_view root_what, std::string_view body, std::vector<const char*>* starts)
        : root_what_(root_what), body_(body), starts_(starts) {
        stack_.reserve(16);
        stack_.push_back(root);
    }

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) { return begin(json::kind::object); }
    bool on_object_end(std::size_t n, json::error_code&) { return end(n); }
    bool on_array_begin(json::error_code&) { return begin(json::kind::array); }
    bool on_array_end(std::size_t n, json::error_code&) { return end(n); }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) { return part(s); }
    bool on_key(json::string_view s, std::size_t, json::error_code&) { return key(joined(s)); }
    bool on_string_part(json::string_view s, std::size_t, json::error_code&) { return part(s); }
    bool on_string(json::string_view s, std::size_t, json::error_code&) {
        return value(scalar{json::kind::string, joined(s)});
    }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
        return value(scalar{json::kind::int64, {}, json::value(i)});
    }
    bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
        return value(scalar{json::kind::uint64, {}, json::value(u)});
    }
    bool on_double(double d, json::string_view, json::error_code&) {
        return value(scalar{json::kind::double_, {}, json::value(d)});
    }
    bool on_bool(bool b, json::error_code&) { return value(scalar{json::kind::bool_, {}, json::value(b)}); }
    bool on_null(json::error_code&) { return value(scalar{json::kind::null}); }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }

private:
    bool part(std::string_view s) {
        part_.append(s);
        return true;
    }
    std::string_view joined(std::string_view s) {
        if (part_.empty()) return s;
        part_.append(s);
        joined_.swap(part_);
        part_.clear();
        return joined_;
    }

    /// An object or array begins inside the top frame.
    bool begin(json::kind kind) {
        frame& top = stack_.back();
        switch (top.kind) {
            case frame_kind::root:
                if (kind != (top.object ? json::kind::object : json::kind::array)) bad_root(kind);
                stack_.push_back({top.object ? frame_kind::record : frame_kind::rows, top.type, top.target});
                return true;
            case frame_kind::rows:
                if (kind != json::kind::object) bad_row(kind);
                stack_.push_back({frame_kind::record, top.type, top.type->emplace(top.target)});
                return true;
            case frame_kind::record: {
                if (top.field < 0) {
                    stack_.push_back({frame_kind::skip});
                    return true;
                }
                top.seen |= std::uint64_t{1} << top.field;
                frame next = top.type->open(top.target, top.field, kind, *top.type);
                if (next.kind == frame_kind::capture) {
                    capture_.reset();
                    next.object = kind == json::kind::object;
                }
                stack_.push_back(next);
                return true;
            }
            case frame_kind::string_map:
                wrong_type(*top.type, top.field, "an object of strings", kind);
            case frame_kind::string_list:
                wrong_type(*top.type, top.field, "an array of strings", kind);
            case frame_kind::capture:
                stack_.push_back({frame_kind::capture, nullptr, nullptr, -1, 0, nullptr, kind == json::kind::object});
                return true;
            case frame_kind::skip:
                stack_.push_back({frame_kind::skip});
                return true;
        }
        return true;
    }

    bool end(std::size_t n) {
        frame done = stack_.back();
        stack_.pop_back();
        switch (done.kind) {
            case frame_kind::record:
                if (std::uint64_t missing = done.type->required & ~done.seen) {
                    int field = std::countr_zero(missing);
                    core::json_protocol_failure("field '" + std::string(done.type->keys[field]) + "' of " +
                                                std::string(done.type->what) + " is missing");
                }
                if (done.type->finish) done.type->finish(done.target);
                if (starts_ && stack_.back().kind == frame_kind::rows) starts_->push_back(done.start);
                break;
            case frame_kind::capture:
                if (done.object)
                    capture_.push_object(n);
                else
                    capture_.push_array(n);
                if (done.target) {  // the field's own value is complete
                    json::value captured = capture_.release();
                    static_cast<std::optional<json::object>*>(done.target)->emplace(std::move(captured.get_object()));
                }
                break;
            default:
                break;
        }
        return true;
    }

    bool key(std::string_view k) {
        frame& top = stack_.back();
        switch (top.kind) {
            case frame_kind::record: {
                if (starts_ && !top.start && stack_[stack_.size() - 2].kind == frame_kind::rows) top.start = text_start(k);
                top.field = -1;
                const auto& keys = top.type->keys;
                for (std::size_t i = 0; i < keys.size(); ++i) {
                    if (keys[i] == k) {
                        top.field = static_cast<int>(i);
                        break;
                    }
                }
                return true;
            }
            case frame_kind::string_map:
                map_key_.assign(k);
                return true;
            case frame_kind::capture:
                capture_.push_key(k);
                return true;
            default:
                return true;
        }
    }

    bool value(const scalar& v) {
        frame& top = stack_.back();
        switch (top.kind) {
            case frame_kind::root:
                bad_root(v.kind);
            case frame_kind::rows:
                bad_row(v.kind);
            case frame_kind::record:
                if (top.field < 0) return true;
                top.type->set(top.target, top.field, v, *top.type);
                if (v.kind == json::kind::null)
                    top.seen &= ~(std::uint64_t{1} << top.field);
                else
                    top.seen |= std::uint64_t{1} << top.field;
                return true;
            case frame_kind::string_map:
                if (v.kind != json::kind::string) wrong_type(*top.type, top.field, "an object of strings", v.kind);
                static_cast<std::map<std::string, std::string>*>(top.target)->emplace(map_key_, v.text);
                return true;
            case frame_kind::string_list:
                if (v.kind != json::kind::string) wrong_type(*top.type, top.field, "an array of strings", v.kind);
                static_cast<std::vector<std::string>*>(top.target)->emplace_back(v.text);
                return true;
            case frame_kind::capture:
                switch (v.kind) {
                    case json::kind::string: capture_.push_string(v.text); break;
                    case json::kind::int64: capture_.push_int64(v.value.get_int64()); break;
                    case json::kind::uint64: capture_.push_uint64(v.value.get_uint64()); break;
                    case json::kind::double_: capture_.push_double(v.value.get_double()); break;
                    case json::kind::bool_: capture_.push_bool(v.value.get_bool()); break;
                    default: capture_.push_null(); break;
                }
                return true;
            case frame_kind::skip:
                return true;
        }
        return true;
    }

    [[noreturn]] void bad_root(json::kind got) const {
        core::json_protocol_failure(std::string(root_what_) + " must be " +
                                    (stack_.front().object ? "an object" : "an array") + ", got " +
                                    std::string(core::json_kind_name(got)));
    }
    [[noreturn]] void bad_row(json::kind got) const {
        core::json_protocol_failure(std::string(stack_.back().type->what) + " must be an object, got " +
                                    std::string(core::json_kind_name(got)));
    }

    /// Where the record whose first key is `k` starts: the `{` before the key's quote, when `k`
    /// points into the body (no escapes); else nullptr.
    const char* text_start(std::string_view k) const {
        const char* p = k.data();
        if (p <= body_.data() || p >= body_.data() + body_.size()) return nullptr;
        --p;  // the quote
        while (p > body_.data() && (p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\r' || p[-1] == '\t')) --p;
        return p > body_.data() && p[-1] == '{' ? p - 1 : nullptr;
    }

    std::string_view root_what_;
    std::string_view body_;
    std::vector<const char*>* starts_;
    std::vector<frame> stack_;
    json::value_stack capture_;
    std::string part_, joined_, map_key_;
};

/// The end of the JSON value starting at `p` (an object or array): a scan of strings and depth.
const char* end_of_value(const char* p, const char* limit) {
    int depth = 0;
    for (bool in_string = false; p < limit; ++p) {
        if (in_string) {
            if (*p == '\\') ++p;
            else if (*p == '"') in_string = false;
        } else if (*p == '"') {
            in_string = true;
        } else if (*p == '{' || *p == '[') {
            ++depth;
        } else if ((*p == '}' || *p == ']') && --depth == 0) {
            return p + 1;
        }
    }
    return limit;
}

/// The records' texts from their starts: each ends at the `}` before the next record's start;
/// the last one (or one followed by a record of unknown start) is scanned to its end. A record
/// without a start gets an empty text.
std::vector<std::string> record_texts(std::string_view body, const std::vector<const char*>& starts) {
    std::vector<std::string> texts(starts.size());
    for (std::size_t i = 0; i < starts.size(); ++i) {
        if (!starts[i]) continue;
        const char* end;
        if (i + 1 < starts.size() && starts[i + 1]) {
            end = starts[i + 1];
            while (end[-1] != '}') --end;
        } else {
            end = end_of_value(starts[i], body.data() + body.size());
        }
        texts[i].assign(starts[i], end);
    }
    return texts;
}

template <class Handler>
void run_parser(json::basic_parser<Handler>& parser, std::string_view body) {
    json::error_code ec;
    std::size_t n = parser.write_some(false, body.data(), body.size(), ec);
    if (!ec && n != body.size()) ec = json::error::extra_data;
    if (ec) throw boost::system::system_error(ec);
}

// -- jobs --

constexpr std::array<std::string_view, 15> job_keys{
    "type",       "job_id",   "submission_id", "driver_info",   "status", "entrypoint", "message",
    "error_type", "start_time", "end_time",    "metadata",      "runtime_env", "driver_agent_http_address",
    "driver_node_id", "driver_exit_code"};
constexpr std::array<std::string_view, 3> driver_keys{"id", "node_ip_address", "pid"};

/// The job's type is read as a string and turned into the enum at once (as models_json.cpp's
/// parse_job_type does).
raycl::job_type job_type_of(std::string_view text) {
    if (text == "SUBMISSION") return raycl::job_type::submission;
    if (text == "DRIVER") return raycl::job_type::driver;
    return raycl::job_type::unknown;
}

extern const record_type driver_record;

void set_job_field(void* record, int f, const scalar& v, const record_type& t) {
    auto& job = *static_cast<job_details*>(record);
    switch (f) {
        case 0: {
            std::string text;
            read(text, v, t, f);
            job.type = job_type_of(text);
            return;
        }
        case 1: return read(job.job_id, v, t, f);
        case 2: return read(job.submission_id, v, t, f);
        case 3:
            if (v.kind == json::kind::null) return job.driver_info.reset();
            core::json_protocol_failure("driver_info must be an object, got " + std::string(core::json_kind_name(v.kind)));
        case 4: return read(job.status_text, v, t, f);
        case 5: return read(job.entrypoint, v, t, f);
        case 6: return read(job.message, v, t, f);
        case 7: return read(job.error_type, v, t, f);
        case 8: return read(job.start_time, v, t, f);
        case 9: return read(job.end_time, v, t, f);
        case 10:
            if (v.kind == json::kind::null) return job.metadata.clear();
            wrong_type(t, f, "an object", v.kind);
        case 11:
            if (v.kind == json::kind::null) return job.runtime_env.reset();
            wrong_type(t, f, "an object", v.kind);
        case 12: return read(job.driver_agent_http_address, v, t, f);
        case 13: return read(job.driver_node_id, v, t, f);
        case 14: return read(job.driver_exit_code, v, t, f);
    }
}

frame open_job_field(void* record, int f, json::kind kind, const record_type& t) {
    auto& job = *static_cast<job_details*>(record);
    if (kind == json::kind::object) {
        if (f == 3) return {frame_kind::record, &driver_record, &job.driver_info.emplace()};
        if (f == 10) {
            job.metadata.clear();
            return {frame_kind::string_map, &t, &job.metadata, f};
        }
        if (f == 11) return {frame_kind::capture, &t, &job.runtime_env, f};
    }
    return default_open(record, f, kind, t);
}

void finish_job(void* record) {
    auto& job = *static_cast<job_details*>(record);
    job.status = raycl::parse_job_status(job.status_text);
}

void set_driver_field(void* record, int f, const scalar& v, const record_type& t) {
    auto& info = *static_cast<raycl::driver_info*>(record);
    if (f == 0) return read(info.id, v, t, f);
    if (f == 1) return read(info.node_ip_address, v, t, f);
    // Ray sends the pid as a string; accept a number as well.
    if (v.kind == json::kind::string || v.kind == json::kind::null) return read(info.pid, v, t, f);
    std::optional<std::int64_t> number;
    read(number, v, t, f);
    info.pid = std::to_string(*number);
}

const record_type driver_record{"driver_info", driver_keys, 0, &set_driver_field, &default_open, nullptr, nullptr};
const record_type job_record{
    "job details", job_keys, (1u << 4) | (1u << 5), &set_job_field, &open_job_field, &finish_job,
    [](void* rows) -> void* { return &static_cast<std::vector<job_details>*>(rows)->emplace_back(); }};

/// Decodes a job list; with `texts`, also each job's JSON text. `expected`: rows to reserve.
std::vector<job_details> sax_jobs(std::string_view body, std::vector<std::string>* texts, std::size_t expected = 0) {
    std::vector<job_details> jobs;
    jobs.reserve(expected);
    std::vector<const char*> starts;
    json::basic_parser<decode_handler> parser(json::parse_options{}, frame{frame_kind::root, &job_record, &jobs},
                                              "the job list", body, texts ? &starts : nullptr);
    run_parser(parser, body);
    if (texts) *texts = record_texts(body, starts);
    return jobs;
}

// -- tasks --

constexpr std::array<std::string_view, 14> task_keys{
    "task_id", "attempt_number", "name",   "state",     "job_id",     "actor_id",   "type",
    "func_or_class_name", "parent_task_id", "node_id", "worker_id", "worker_pid", "error_type", "error_message"};

void set_task_field(void* record, int f, const scalar& v, const record_type& t) {
    auto& task = *static_cast<task_info*>(record);
    switch (f) {
        case 0: return read(task.task_id, v, t, f);
        case 1: {
            std::optional<std::int64_t> n;
            read(n, v, t, f);
            task.attempt_number = n.value_or(0);
            return;
        }
        case 2: return read(task.name, v, t, f);
        case 3: return read(task.state, v, t, f);
        case 4: return read(task.job_id, v, t, f);
        case 5: return read(task.actor_id, v, t, f);
        case 6: return read(task.type, v, t, f);
        case 7: return read(task.func_or_class_name, v, t, f);
        case 8: return read(task.parent_task_id, v, t, f);
        case 9: return read(task.node_id, v, t, f);
        case 10: return read(task.worker_id, v, t, f);
        case 11: return read(task.worker_pid, v, t, f);
        case 12: return read(task.error_type, v, t, f);
        case 13: return read(task.error_message, v, t, f);
    }
}

const record_type task_record{
    "task", task_keys, 1u << 0, &set_task_field, &default_open, nullptr,
    [](void* rows) -> void* { return &static_cast<std::vector<task_info>*>(rows)->emplace_back(); }};

/// The state-API envelope {"result", "msg", "data": {"result": {counts, "result": rows, ...}}}.
struct task_envelope {
    raycl::list_result<task_info> list;
    std::optional<bool> ok;
    std::string msg;
    std::optional<std::int64_t> total, num_after_truncation, num_filtered;
    bool rows = false;
};

constexpr std::array<std::string_view, 3> envelope_keys{"result", "msg", "data"};
constexpr std::array<std::string_view, 1> data_keys{"result"};
constexpr std::array<std::string_view, 6> result_keys{"total", "num_after_truncation", "num_filtered", "result",
                                                      "partial_failure_warning", "warnings"};
extern const record_type data_record, result_record;

void set_envelope_field(void* record, int f, const scalar& v, const record_type& t) {
    auto& e = *static_cast<task_envelope*>(record);
    if (f == 0) return read(e.ok, v, t, f);
    if (f == 1) return read(e.msg, v, t, f);
    if (v.kind != json::kind::null)
        core::json_protocol_failure("state API data must be an object, got " + std::string(core::json_kind_name(v.kind)));
}
frame open_envelope_field(void* record, int f, json::kind kind, const record_type& t) {
    if (f == 2 && kind == json::kind::object) return {frame_kind::record, &data_record, record};
    if (f == 2) core::json_protocol_failure("state API data must be an object, got " + std::string(core::json_kind_name(kind)));
    return default_open(record, f, kind, t);
}
void set_data_field(void*, int, const scalar& v, const record_type&) {
    if (v.kind != json::kind::null)
        core::json_protocol_failure("state API result must be an object, got " + std::string(core::json_kind_name(v.kind)));
}
frame open_data_field(void* record, int, json::kind kind, const record_type&) {
    if (kind == json::kind::object) return {frame_kind::record, &result_record, record};
    core::json_protocol_failure("state API result must be an object, got " + std::string(core::json_kind_name(kind)));
}
void set_result_field(void* record, int f, const scalar& v, const record_type& t) {
    auto& e = *static_cast<task_envelope*>(record);
    switch (f) {
        case 0: return read(e.total, v, t, f);
        case 1: return read(e.num_after_truncation, v, t, f);
        case 2: return read(e.num_filtered, v, t, f);
        case 3:
            if (v.kind == json::kind::null) return;
            core::json_protocol_failure("field 'result' of state API result must be an array, got " +
                                        std::string(core::json_kind_name(v.kind)));
        case 4: return read(e.list.partial_failure_warning, v, t, f);
        case 5:
            if (v.kind == json::kind::null) return e.list.warnings.clear();
            wrong_type(t, f, "an array", v.kind);
    }
}
frame open_result_field(void* record, int f, json::kind kind, const record_type& t) {
    auto& e = *static_cast<task_envelope*>(record);
    if (f == 3 && kind == json::kind::array) {
        e.rows = true;
        return {frame_kind::rows, &task_record, &e.list.items};
    }
    if (f == 3)
        core::json_protocol_failure("field 'result' of state API result must be an array, got " +
                                    std::string(core::json_kind_name(kind)));
    if (f == 5 && kind == json::kind::array) {
        e.list.warnings.clear();
        return {frame_kind::string_list, &t, &e.list.warnings, f};
    }
    return default_open(record, f, kind, t);
}

const record_type envelope_record{"state API response", envelope_keys, 1u << 2, &set_envelope_field,
                                  &open_envelope_field, nullptr, nullptr};
const record_type data_record{"state API data", data_keys, 1u << 0, &set_data_field, &open_data_field, nullptr, nullptr};
const record_type result_record{"state API result", result_keys, 1u << 3, &set_result_field, &open_result_field,
                                nullptr, nullptr};

/// Decodes a task list; with `texts`, also each task's JSON text. `expected`: rows to reserve.
raycl::list_result<task_info> sax_tasks(std::string_view body, std::vector<std::string>* texts,
                                        std::size_t expected = 0) {
    task_envelope e;
    e.list.items.reserve(expected);
    std::vector<const char*> starts;
    frame root{frame_kind::root, &envelope_record, &e};
    root.object = true;
    json::basic_parser<decode_handler> parser(json::parse_options{}, root, "state API response", body,
                                              texts ? &starts : nullptr);
    run_parser(parser, body);
    if (e.ok && !*e.ok) {
        std::string msg = core::sanitize(e.msg, {}, 512);
        throw raycl::client_error(raycl::error_kind::server_error,
                                  "the state API query failed" + (msg.empty() ? std::string() : ": " + msg));
    }
    auto& list = e.list;
    const auto rows = static_cast<std::int64_t>(list.items.size());
    list.total = e.total.value_or(rows);
    list.num_after_truncation = e.num_after_truncation.value_or(list.total);
    list.num_filtered = e.num_filtered.value_or(rows);
    list.returned = rows;
    if (texts) *texts = record_texts(body, starts);
    return std::move(list);
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

/// How often `needle` occurs in `body` (the rows' count for sax_reserved, without decoding).
std::size_t occurrences(std::string_view body, std::string_view needle) {
    std::size_t count = 0;
    for (std::size_t at = body.find(needle); at != std::string_view::npos; at = body.find(needle, at + 1)) ++count;
    return count;
}

using variant_table = std::vector<std::pair<std::string, std::function<sample()>>>;

variant_table variants_for(const std::string& kind, const std::string& body, std::vector<unsigned char>& arena) {
    const bool jobs = kind == "jobs";
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
        table.emplace_back("sax", [&body] { return measure([&] { return sax_jobs(body, nullptr); }); });
        table.emplace_back("sax_reserved", [&body, rows = occurrences(body, "\"entrypoint\":")] {
            return measure([&] { return sax_jobs(body, nullptr, rows); });
        });
        table.emplace_back("sax_raw", [&body] {
            return measure([&] {
                std::vector<std::string> texts;
                auto jobs = sax_jobs(body, &texts);
                return std::make_pair(std::move(jobs), std::move(texts));
            });
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
        table.emplace_back("sax", [&body] { return measure([&] { return sax_tasks(body, nullptr); }); });
        table.emplace_back("sax_reserved", [&body, rows = occurrences(body, "\"task_id\":")] {
            return measure([&] { return sax_tasks(body, nullptr, rows); });
        });
        table.emplace_back("sax_raw", [&body] {
            return measure([&] {
                std::vector<std::string> texts;
                auto tasks = sax_tasks(body, &texts);
                return std::make_pair(std::move(tasks.items), std::move(texts));
            });
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

auto typed(const job_details& j) {
    std::optional<std::tuple<std::string, std::string, std::string>> driver;
    if (j.driver_info) driver.emplace(j.driver_info->id, j.driver_info->node_ip_address, j.driver_info->pid);
    return std::make_tuple(j.type, j.job_id, j.submission_id, driver, j.status, j.status_text, j.entrypoint, j.message,
                           j.error_type, j.start_time, j.end_time, j.metadata, j.runtime_env,
                           j.driver_agent_http_address, j.driver_node_id, j.driver_exit_code);
}
auto typed(const task_info& t) {
    return std::tie(t.task_id, t.attempt_number, t.name, t.state, t.job_id, t.actor_id, t.type, t.func_or_class_name,
                    t.parent_task_id, t.node_id, t.worker_id, t.worker_pid, t.error_type, t.error_message);
}
auto counts(const raycl::list_counts& c) {
    return std::tie(c.total, c.num_after_truncation, c.num_filtered, c.returned, c.filtered, c.partial_failure_warning,
                    c.warnings);
}

/// "ok" or the error's message: both decoders must give the same.
template <class F>
std::string outcome(F f) {
    try {
        f();
        return "ok";
    } catch (const raycl::client_error& e) {
        return e.what();
    } catch (const boost::system::system_error& e) {  // bad JSON: the same error, thrown elsewhere
        return "JSON error: " + e.code().message();
    } catch (const std::exception& e) {
        return std::string("other exception: ") + e.what();
    }
}

int failures = 0;
std::size_t texts_missing = 0;  ///< records whose text sax_raw could not locate
void expect(bool ok, const std::string& what) {
    if (!ok) {
        ++failures;
        std::cerr << "MISMATCH: " << what << "\n";
    }
}

template <class Rows>
void compare_rows(const Rows& dom, const Rows& sax, const std::vector<std::string>* texts, const std::string& what) {
    expect(dom.size() == sax.size(), what + ": record count");
    for (std::size_t i = 0; i < std::min(dom.size(), sax.size()); ++i) {
        expect(typed(dom[i]) == typed(sax[i]), what + ": record " + std::to_string(i));
        if (texts && (*texts)[i].empty()) ++texts_missing;
        if (texts && !(*texts)[i].empty())
            expect(json::parse((*texts)[i]) == json::value(dom[i].raw), what + ": raw text of record " + std::to_string(i));
    }
}

void check_jobs(const std::string& body, const std::string& what) {
    std::vector<job_details> dom, sax;
    std::vector<std::string> texts;
    std::string a = outcome([&] { dom = core::decode_job_list(json::parse(body)); });
    std::string b = outcome([&] { sax = sax_jobs(body, &texts); });
    expect(a == b, what + ": outcome '" + a + "' vs '" + b + "'");
    if (a == "ok" && b == "ok") compare_rows(dom, sax, &texts, what);
}

void check_tasks(const std::string& body, const std::string& what) {
    raycl::list_result<task_info> dom, sax;
    std::vector<std::string> texts;
    std::string a = outcome([&] { dom = core::decode_state_list(json::parse(body), &core::decode_task); });
    std::string b = outcome([&] { sax = sax_tasks(body, &texts); });
    expect(a == b, what + ": outcome '" + a + "' vs '" + b + "'");
    if (a == "ok" && b == "ok") {
        expect(counts(dom) == counts(sax), what + ": list counts");
        compare_rows(dom.items, sax.items, &texts, what);
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
    std::printf("{\"check\": %s, \"mismatches\": %d, \"job_cases\": %zu, \"task_cases\": %zu, "
                "\"records_without_text\": %zu}\n",
                failures ? "false" : "true", failures, jobs.size() + 1, tasks.size() + 1, texts_missing);
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
