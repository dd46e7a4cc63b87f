#include "core/record_decoder.hpp"

#include "core/json_reader.hpp"
#include "core/models_json.hpp"
#include "core/responses.hpp"

#include <raycl/error.hpp>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string_view>

namespace raycl::core {
namespace json = boost::json;
namespace {

// ---- the field tables ----------------------------------------------------------------------

/// One value as the parser reports it, or as a parsed value holds it: a string's text, or a
/// value that does not allocate (number, bool, null). `kind` is object or array when a
/// container arrived where a scalar was due (only its kind matters then).
struct scalar {
    json::kind kind;
    std::string_view text{};
    json::value value{};
};

scalar scalar_of(const json::value& v) {
    if (const json::string* s = v.if_string()) return {json::kind::string, std::string_view(*s)};
    if (v.is_object() || v.is_array()) return {v.kind()};
    return {v.kind(), {}, v};
}

struct record_type;

/// How a field's value is read.
enum class holds {
    scalar,       ///< by `set` (a container is a wrong type)
    string_map,   ///< an object of strings into the std::map<std::string, std::string> `member`
    object,       ///< an object, kept whole in the std::optional<json::object> `member`
    record,       ///< an object of `nested` fields into the record `member` (emplaced)
    rows,         ///< an array of `nested` records into the std::vector `member` (text decoder only)
    string_list,  ///< an array of strings into the std::vector<std::string> `member`
};

/// One field of a record type.
struct field {
    std::string_view key;
    bool required = false;
    holds kind = holds::scalar;
    /// holds::scalar: reads a scalar or null (null: the default); throws for a wrong kind.
    void (*set)(void* record, const scalar& value, const record_type& type, std::size_t index) = nullptr;
    /// Containers: the member the value goes to (holds::record: emplaced first).
    void* (*member)(void* record) = nullptr;
    /// Containers: back to the default (a null value).
    void (*reset)(void* record) = nullptr;
    const record_type* nested = nullptr;  ///< holds::record and holds::rows
};

/// The records of one type held by a std::vector (rows), type-erased.
struct rows_ops {
    void* (*emplace)(void* rows);  ///< appends a record, returns it
    /// When the rows are at their capacity: reserves `estimate` rows, at least 1/8 more.
    void (*grow)(void* rows, std::size_t estimate);
};

/// A record type: its name in messages (as object_reader names it) and its fields, in the order
/// the DOM decoder checks them (the first faulty one in that order is the error).
struct record_type {
    std::string_view what;
    std::span<const field> fields;
    std::uint64_t required;          ///< bits of `fields` that are required
    void (*finish)(void* record);    ///< after the fields (may be null)
    const rows_ops* rows = nullptr;  ///< for records that come in rows
};

template <std::size_t N>
constexpr std::uint64_t required_bits(const std::array<field, N>& fields) {
    static_assert(N <= 64);
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < N; ++i)
        if (fields[i].required) bits |= std::uint64_t{1} << i;
    return bits;
}

[[noreturn]] void wrong_type(const record_type& type, std::size_t index, std::string_view expected, json::kind got) {
    json_protocol_failure("field '" + std::string(type.fields[index].key) + "' of " + std::string(type.what) +
                          " must be " + std::string(expected) + ", got " + std::string(json_kind_name(got)));
}

[[noreturn]] void missing(const record_type& type, std::size_t index) {
    json_protocol_failure("field '" + std::string(type.fields[index].key) + "' of " + std::string(type.what) +
                          " is missing");
}

/// A container field's value of the wrong kind.
[[noreturn]] void wrong_container(const record_type& type, std::size_t index, json::kind got) {
    const field& f = type.fields[index];
    switch (f.kind) {
        case holds::record:  // as json_object_of names it
            json_protocol_failure(std::string(f.nested->what) + " must be an object, got " +
                                  std::string(json_kind_name(got)));
        case holds::rows:
        case holds::string_list:
            wrong_type(type, index, "an array", got);
        default:
            wrong_type(type, index, "an object", got);
    }
}

// The reads of object_reader, one scalar at a time. Null == missing (the default).
void read(std::string& out, const scalar& v, const record_type& t, std::size_t i) {  // string_or_empty
    if (v.kind == json::kind::null) return out.clear();
    if (v.kind != json::kind::string) wrong_type(t, i, "a string", v.kind);
    out.assign(v.text);
}
void read(std::optional<std::string>& out, const scalar& v, const record_type& t, std::size_t i) {
    if (v.kind == json::kind::null) return out.reset();
    if (v.kind != json::kind::string) wrong_type(t, i, "a string", v.kind);
    out.emplace(v.text);
}
void read(std::optional<std::int64_t>& out, const scalar& v, const record_type& t, std::size_t i) {
    if (v.kind == json::kind::null) return out.reset();
    out = v.kind == json::kind::string ? json_to_int64(v.text) : json_to_int64(v.value);
    if (!out) wrong_type(t, i, "an integer", v.kind);
}
void read(std::optional<bool>& out, const scalar& v, const record_type& t, std::size_t i) {
    if (v.kind == json::kind::null) return out.reset();
    if (v.kind != json::kind::bool_) wrong_type(t, i, "a boolean", v.kind);
    out = v.value.get_bool();
}

template <class M>
struct member_of;
template <class C, class T>
struct member_of<T C::*> {
    using record = C;
    using type = T;
};

/// `set` of a plain member read as its type reads.
template <auto Member>
void set_member(void* record, const scalar& v, const record_type& t, std::size_t i) {
    read(static_cast<typename member_of<decltype(Member)>::record*>(record)->*Member, v, t, i);
}

template <auto Member>
void* member_ptr(void* record) {
    return &(static_cast<typename member_of<decltype(Member)>::record*>(record)->*Member);
}

template <auto Member>
void reset_member(void* record) {
    auto& m = static_cast<typename member_of<decltype(Member)>::record*>(record)->*Member;
    m = typename member_of<decltype(Member)>::type{};
}

template <auto Member>
constexpr field scalar_field(std::string_view key, bool required = false) {
    return {key, required, holds::scalar, &set_member<Member>};
}

template <auto Member>
constexpr field container_field(std::string_view key, holds kind, const record_type* nested = nullptr,
                                bool required = false) {
    return {key, required, kind, nullptr, &member_ptr<Member>, &reset_member<Member>, nested};
}

template <class T>
const rows_ops rows_of{[](void* rows) -> void* { return &static_cast<std::vector<T>*>(rows)->emplace_back(); },
                       [](void* rows, std::size_t estimate) {
                           auto& v = *static_cast<std::vector<T>*>(rows);
                           if (v.size() == v.capacity()) v.reserve(std::max(estimate, v.size() + v.size() / 8 + 1));
                       }};

// -- jobs --

job_type parse_job_type(std::string_view text) noexcept {
    if (text == "SUBMISSION") return job_type::submission;
    if (text == "DRIVER") return job_type::driver;
    return job_type::unknown;
}

void set_job_type(void* record, const scalar& v, const record_type& t, std::size_t i) {
    std::string text;
    read(text, v, t, i);
    static_cast<job_details*>(record)->type = parse_job_type(text);
}

// Ray sends the pid as a string; accept a number as well.
void set_driver_pid(void* record, const scalar& v, const record_type& t, std::size_t i) {
    auto& info = *static_cast<raycl::driver_info*>(record);
    if (v.kind == json::kind::string || v.kind == json::kind::null) return read(info.pid, v, t, i);
    std::optional<std::int64_t> number;
    read(number, v, t, i);
    info.pid = std::to_string(*number);
}

const std::array<field, 3> driver_fields{
    scalar_field<&driver_info::id>("id"),
    scalar_field<&driver_info::node_ip_address>("node_ip_address"),
    field{"pid", false, holds::scalar, &set_driver_pid},
};
const record_type driver_type{"driver_info", driver_fields, required_bits(driver_fields), nullptr};

void* emplace_driver(void* record) {
    return &static_cast<job_details*>(record)->driver_info.emplace();
}

const std::array<field, 15> job_fields{
    field{"type", false, holds::scalar, &set_job_type},
    scalar_field<&job_details::job_id>("job_id"),
    scalar_field<&job_details::submission_id>("submission_id"),
    field{"driver_info", false, holds::record, nullptr, &emplace_driver, &reset_member<&job_details::driver_info>,
          &driver_type},
    scalar_field<&job_details::status_text>("status", true),
    scalar_field<&job_details::entrypoint>("entrypoint", true),
    scalar_field<&job_details::message>("message"),
    scalar_field<&job_details::error_type>("error_type"),
    scalar_field<&job_details::start_time>("start_time"),
    scalar_field<&job_details::end_time>("end_time"),
    container_field<&job_details::metadata>("metadata", holds::string_map),
    container_field<&job_details::runtime_env>("runtime_env", holds::object),
    scalar_field<&job_details::driver_agent_http_address>("driver_agent_http_address"),
    scalar_field<&job_details::driver_node_id>("driver_node_id"),
    scalar_field<&job_details::driver_exit_code>("driver_exit_code"),
};

void finish_job(void* record) {
    auto& job = *static_cast<job_details*>(record);
    job.status = parse_job_status(job.status_text);
}

const record_type job_type_table{"job details", job_fields, required_bits(job_fields), &finish_job,
                                 &rows_of<job_details>};

// -- tasks --

void set_attempt(void* record, const scalar& v, const record_type& t, std::size_t i) {
    std::optional<std::int64_t> number;
    read(number, v, t, i);
    static_cast<task_info*>(record)->attempt_number = number.value_or(0);
}

const std::array<field, 14> task_fields{
    scalar_field<&task_info::task_id>("task_id", true),
    field{"attempt_number", false, holds::scalar, &set_attempt},
    scalar_field<&task_info::name>("name"),
    scalar_field<&task_info::state>("state"),
    scalar_field<&task_info::job_id>("job_id"),
    scalar_field<&task_info::actor_id>("actor_id"),
    scalar_field<&task_info::type>("type"),
    scalar_field<&task_info::func_or_class_name>("func_or_class_name"),
    scalar_field<&task_info::parent_task_id>("parent_task_id"),
    scalar_field<&task_info::node_id>("node_id"),
    scalar_field<&task_info::worker_id>("worker_id"),
    scalar_field<&task_info::worker_pid>("worker_pid"),
    scalar_field<&task_info::error_type>("error_type"),
    scalar_field<&task_info::error_message>("error_message"),
};
const record_type task_type_table{"task", task_fields, required_bits(task_fields), nullptr, &rows_of<task_info>};

// -- the state-API envelope (text decoder only: the DOM one is state_envelope_result) --

/// {"result", "msg", "data": {"result": {"total", ..., "result": rows, ...}}}, all three levels
/// read into one of these.
struct task_envelope {
    list_result<task_info> list;
    std::optional<bool> ok;
    std::string msg;
    std::optional<std::int64_t> total, num_after_truncation, num_filtered;
};

void* same_record(void* record) {
    return record;
}
void no_reset(void*) {}
void* envelope_rows(void* record) {
    return &static_cast<task_envelope*>(record)->list.items;
}
void* envelope_warnings(void* record) {
    return &static_cast<task_envelope*>(record)->list.warnings;
}
void set_partial_failure(void* record, const scalar& v, const record_type& t, std::size_t i) {
    read(static_cast<task_envelope*>(record)->list.partial_failure_warning, v, t, i);
}

const std::array<field, 6> result_fields{
    scalar_field<&task_envelope::total>("total"),
    scalar_field<&task_envelope::num_after_truncation>("num_after_truncation"),
    scalar_field<&task_envelope::num_filtered>("num_filtered"),
    field{"result", true, holds::rows, nullptr, &envelope_rows, &no_reset, &task_type_table},
    field{"partial_failure_warning", false, holds::scalar, &set_partial_failure},
    field{"warnings", false, holds::string_list, nullptr, &envelope_warnings, &no_reset},
};
const record_type result_type{"state API result", result_fields, required_bits(result_fields), nullptr};
const std::array<field, 1> data_fields{
    field{"result", true, holds::record, nullptr, &same_record, &no_reset, &result_type}};
const record_type data_type{"state API data", data_fields, required_bits(data_fields), nullptr};
const std::array<field, 3> envelope_fields{
    scalar_field<&task_envelope::ok>("result"),
    scalar_field<&task_envelope::msg>("msg"),
    field{"data", true, holds::record, nullptr, &same_record, &no_reset, &data_type},
};
const record_type envelope_type{"state API response", envelope_fields, required_bits(envelope_fields), nullptr};

// ---- the DOM driver ------------------------------------------------------------------------

void decode_object(const json::object& object, const record_type& type, void* record);

/// One present, non-null field value of a parsed object.
void decode_value(const json::value& v, const record_type& type, std::size_t index, void* record) {
    const field& f = type.fields[index];
    if (f.kind == holds::scalar) return f.set(record, scalar_of(v), type, index);
    const bool right_kind = (f.kind == holds::rows || f.kind == holds::string_list) ? v.is_array() : v.is_object();
    if (!right_kind) wrong_container(type, index, v.kind());
    switch (f.kind) {
        case holds::string_map: {
            auto& map = *static_cast<std::map<std::string, std::string>*>(f.member(record));
            for (const auto& entry : v.get_object()) {
                const json::string* text = entry.value().if_string();
                if (!text) wrong_type(type, index, "an object of strings", entry.value().kind());
                map.emplace(entry.key(), *text);
            }
            return;
        }
        case holds::object:
            static_cast<std::optional<json::object>*>(f.member(record))->emplace(v.get_object());
            return;
        case holds::record:
            return decode_object(v.get_object(), *f.nested, f.member(record));
        case holds::string_list: {
            auto& list = *static_cast<std::vector<std::string>*>(f.member(record));
            for (const json::value& item : v.get_array()) {
                const json::string* text = item.if_string();
                if (!text) wrong_type(type, index, "an array of strings", item.kind());
                list.emplace_back(*text);
            }
            return;
        }
        default:  // rows: read by the text decoder only
            json_protocol_failure("field '" + std::string(f.key) + "' cannot be read from a parsed object");
    }
}

void decode_object(const json::object& object, const record_type& type, void* record) {
    for (std::size_t i = 0; i < type.fields.size(); ++i) {
        auto it = object.find(type.fields[i].key);
        if (it == object.end() || it->value().is_null()) {
            if (type.fields[i].required) missing(type, i);
            continue;
        }
        decode_value(it->value(), type, i, record);
    }
    if (type.finish) type.finish(record);
}

// ---- the text driver -----------------------------------------------------------------------

/// Thrown by the handler for a body it leaves to the DOM path without an error of its own
/// (a duplicate key, a record whose text it cannot locate, `result: false`).
struct use_dom {};

enum class frame_kind { root, rows, record, string_map, string_list, capture, skip };

/// What the handler is inside of.
struct frame {
    frame_kind kind;
    const record_type* type = nullptr;
    void* target = nullptr;
    int field = -1;               ///< record: the field of the current key (-1: unknown key)
    std::uint64_t seen = 0;       ///< record: the fields that have a non-null value
    std::uint64_t keys = 0;       ///< record: the fields whose key came (a second one: use_dom)
    const char* start = nullptr;  ///< a row: where its text starts (its `{`), once its first key came
    bool keyed = false;           ///< record: a key came
    bool object = false;          ///< root: an object is due (else an array); capture: an object
    std::size_t index = 0;        ///< a row: its index in the rows
};

/// Fills the records as the parser reports the body; keeps where each row's text starts.
class record_handler {
public:
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    record_handler(frame root, std::string_view body) : body_(body) {
        stack_.reserve(16);
        stack_.push_back(root);
    }

    /// Where each row's text starts, in order (of the one rows array of the body).
    std::vector<const char*>& starts() noexcept { return starts_; }

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
    /// The whole text of a string or key that came in parts (escapes, or a very long one).
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
                if (kind != (top.object ? json::kind::object : json::kind::array)) throw use_dom{};
                stack_.push_back({top.object ? frame_kind::record : frame_kind::rows, top.type, top.target});
                return true;
            case frame_kind::rows: {
                if (kind != json::kind::object) throw use_dom{};
                if (rows_ >= 2) {
                    const std::size_t estimate = estimated_rows();
                    top.type->rows->grow(top.target, estimate);
                    if (starts_.size() == starts_.capacity()) starts_.reserve(estimate);
                }
                frame row{frame_kind::record, top.type, top.type->rows->emplace(top.target)};
                row.index = rows_++;
                stack_.push_back(row);
                return true;
            }
            case frame_kind::record: {
                if (top.field < 0) {
                    stack_.push_back({frame_kind::skip});
                    return true;
                }
                const auto index = static_cast<std::size_t>(top.field);
                const field& f = top.type->fields[index];
                if (f.kind == holds::scalar) f.set(top.target, scalar{kind}, *top.type, index);  // throws
                const bool array = f.kind == holds::rows || f.kind == holds::string_list;
                if (kind != (array ? json::kind::array : json::kind::object)) wrong_container(*top.type, index, kind);
                top.seen |= std::uint64_t{1} << index;
                switch (f.kind) {
                    case holds::string_map:
                        stack_.push_back({frame_kind::string_map, top.type, f.member(top.target), top.field});
                        break;
                    case holds::string_list:
                        stack_.push_back({frame_kind::string_list, top.type, f.member(top.target), top.field});
                        break;
                    case holds::object: {
                        capture_.reset();
                        frame capture{frame_kind::capture, top.type, f.member(top.target), top.field};
                        capture.object = true;
                        stack_.push_back(capture);
                        break;
                    }
                    case holds::record:
                        stack_.push_back({frame_kind::record, f.nested, f.member(top.target)});
                        break;
                    case holds::rows:
                        if (rows_target_) throw use_dom{};  // one rows array per body
                        rows_target_ = f.member(top.target);
                        stack_.push_back({frame_kind::rows, f.nested, rows_target_});
                        break;
                    case holds::scalar:
                        break;
                }
                return true;
            }
            case frame_kind::string_map:
                wrong_type(*top.type, static_cast<std::size_t>(top.field), "an object of strings", kind);
            case frame_kind::string_list:
                wrong_type(*top.type, static_cast<std::size_t>(top.field), "an array of strings", kind);
            case frame_kind::capture: {
                frame inner{frame_kind::capture};
                inner.object = kind == json::kind::object;
                stack_.push_back(inner);
                return true;
            }
            case frame_kind::skip:
                stack_.push_back({frame_kind::skip});
                return true;
        }
        return true;
    }

    bool end(std::size_t n) {
        const frame done = stack_.back();
        stack_.pop_back();
        switch (done.kind) {
            case frame_kind::record:
                if (const std::uint64_t absent = done.type->required & ~done.seen)
                    missing(*done.type, static_cast<std::size_t>(std::countr_zero(absent)));
                if (done.type->finish) done.type->finish(done.target);
                if (stack_.back().kind == frame_kind::rows) {
                    if (!done.start) throw use_dom{};  // no cheap text: the DOM path builds the objects
                    starts_.push_back(done.start);
                }
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
                if (!top.keyed) {
                    top.keyed = true;
                    if (stack_[stack_.size() - 2].kind == frame_kind::rows) first_key_of_row(top, k);
                }
                top.field = -1;
                const auto fields = top.type->fields;
                for (std::size_t i = 0; i < fields.size(); ++i) {
                    if (fields[i].key == k) {
                        const std::uint64_t bit = std::uint64_t{1} << i;
                        if (top.keys & bit) throw use_dom{};  // a duplicate: the DOM's last-one-wins
                        top.keys |= bit;
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
            case frame_kind::rows:
                throw use_dom{};
            case frame_kind::record: {
                if (top.field < 0) return true;
                const auto index = static_cast<std::size_t>(top.field);
                const field& f = top.type->fields[index];
                const std::uint64_t bit = std::uint64_t{1} << index;
                if (f.kind != holds::scalar) {
                    if (v.kind != json::kind::null) wrong_container(*top.type, index, v.kind);
                    f.reset(top.target);
                } else {
                    f.set(top.target, v, *top.type, index);
                }
                top.seen = v.kind == json::kind::null ? top.seen & ~bit : top.seen | bit;
                return true;
            }
            case frame_kind::string_map:
                if (v.kind != json::kind::string)
                    wrong_type(*top.type, static_cast<std::size_t>(top.field), "an object of strings", v.kind);
                // A duplicate key: the last one wins, as in the DOM.
                static_cast<std::map<std::string, std::string>*>(top.target)->insert_or_assign(map_key_, v.text);
                return true;
            case frame_kind::string_list:
                if (v.kind != json::kind::string)
                    wrong_type(*top.type, static_cast<std::size_t>(top.field), "an array of strings", v.kind);
                static_cast<std::vector<std::string>*>(top.target)->emplace_back(v.text);
                return true;
            case frame_kind::capture:
                switch (v.kind) {
                    case json::kind::string:
                        capture_.push_string(v.text);
                        break;
                    case json::kind::int64:
                        capture_.push_int64(v.value.get_int64());
                        break;
                    case json::kind::uint64:
                        capture_.push_uint64(v.value.get_uint64());
                        break;
                    case json::kind::double_:
                        capture_.push_double(v.value.get_double());
                        break;
                    case json::kind::bool_:
                        capture_.push_bool(v.value.get_bool());
                        break;
                    default:
                        capture_.push_null();
                        break;
                }
                return true;
            case frame_kind::skip:
                return true;
        }
        return true;
    }

    /// A row's first key `k`: where the row's text starts (the `{` before the key's quote, when
    /// `k` is the body's own text, i.e. has no escapes).
    void first_key_of_row(frame& row, std::string_view k) {
        row.start = text_start(k);
        if (row.index == 0) first_start_ = row.start;
        last_start_ = row.start;
    }

    /// How many rows the body holds, estimated (when the rows are full) from the rows so far:
    /// those and the body's rest after the last one's start over their mean size, plus 3%.
    /// Exact for rows of one size; the rows grow by at least 1/8 when it falls short.
    std::size_t estimated_rows() const {
        if (!first_start_ || !last_start_ || last_start_ <= first_start_) return 0;
        const auto stride =
            std::max<std::size_t>(static_cast<std::size_t>(last_start_ - first_start_) / (rows_ - 1), 16);
        const auto more = static_cast<std::size_t>(body_.data() + body_.size() - last_start_) / stride;
        return rows_ + more + more / 32 + 4;
    }

    const char* text_start(std::string_view k) const {
        const char* p = k.data();
        const char* const base = body_.data();
        if (p <= base || p >= base + body_.size()) return nullptr;
        --p;  // the quote
        if (*p != '"') return nullptr;
        while (p > base && (p[-1] == ' ' || p[-1] == '\n' || p[-1] == '\r' || p[-1] == '\t')) --p;
        return p > base && p[-1] == '{' ? p - 1 : nullptr;
    }

    std::string_view body_;
    std::vector<frame> stack_;
    std::vector<const char*> starts_;
    const char* first_start_ = nullptr;  ///< the first row's start
    const char* last_start_ = nullptr;   ///< the last row's start (so far)
    std::size_t rows_ = 0;
    void* rows_target_ = nullptr;
    json::value_stack capture_;
    std::string part_, joined_, map_key_;
};

bool is_space(char c) noexcept {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/// The end of the JSON object or array starting at `p`: a scan of strings and depth.
const char* end_of_value(const char* p, const char* limit) {
    int depth = 0;
    for (bool in_string = false; p < limit; ++p) {
        if (in_string) {
            if (*p == '\\')
                ++p;
            else if (*p == '"')
                in_string = false;
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

/// Each row's raw: a view of its text. A row ends at the `}` before the next row's start
/// (only white space and a comma lie between two elements); the last one is scanned.
template <class T>
void attach_raws(std::vector<T>& rows, const std::vector<const char*>& starts,
                 const std::shared_ptr<const std::string>& body) {
    if (starts.size() != rows.size()) throw use_dom{};
    const char* const base = body->data();
    const char* const limit = base + body->size();
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const char* end = nullptr;
        if (i + 1 < rows.size()) {
            const char* p = starts[i + 1];
            while (p > starts[i] && is_space(p[-1])) --p;
            if (p > starts[i] && p[-1] == ',') --p;
            while (p > starts[i] && is_space(p[-1])) --p;
            if (p > starts[i] && p[-1] == '}') end = p;
        }
        if (!end) end = end_of_value(starts[i], limit);
        rows[i].raw =
            raw_object(body, static_cast<std::size_t>(starts[i] - base), static_cast<std::size_t>(end - starts[i]));
    }
}

/// Runs the handler over the whole body (one buffer); false when the body is not valid JSON
/// (with the limits of parse_json_body).
bool parse_text(json::basic_parser<record_handler>& parser, std::string_view body) {
    json::error_code ec;
    const std::size_t n = parser.write_some(false, body.data(), body.size(), ec);
    return !ec && n == body.size();
}

/// `text()`'s result, or, when it has none or throws (a fault; see use_dom), `dom()`'s: the DOM
/// path's result or error for the same bytes.
template <class Text, class Dom>
auto text_or_dom(Text text, Dom dom) -> decltype(dom()) {
    try {
        if (auto result = text()) return std::move(*result);
    } catch (const client_error&) {
    } catch (const use_dom&) {}
    return dom();
}

}  // namespace

void decode_job_fields(const json::object& object, job_details& job) {
    decode_object(object, job_type_table, &job);
}

void decode_task_fields(const json::object& object, task_info& task) {
    decode_object(object, task_type_table, &task);
}

std::vector<job_details> decode_job_list_text(std::shared_ptr<const std::string> body, const request_spec& request,
                                              const std::vector<std::string>& secrets) {
    return text_or_dom(
        [&]() -> std::optional<std::vector<job_details>> {
            std::vector<job_details> jobs;
            frame root{frame_kind::root, &job_type_table, &jobs};
            json::basic_parser<record_handler> parser(json_body_parse_options(), root, *body);
            if (!parse_text(parser, *body)) return std::nullopt;
            attach_raws(jobs, parser.handler().starts(), body);
            return jobs;
        },
        [&] { return decode_job_list(parse_json_body(request, *body, secrets)); });
}

job_details decode_job_details_text(std::shared_ptr<const std::string> body, const request_spec& request,
                                    const std::vector<std::string>& secrets) {
    return text_or_dom(
        [&]() -> std::optional<job_details> {
            job_details job;
            frame root{frame_kind::root, &job_type_table, &job};
            root.object = true;
            json::basic_parser<record_handler> parser(json_body_parse_options(), root, *body);
            if (!parse_text(parser, *body)) return std::nullopt;
            job.raw = raw_object(body, 0, body->size());
            return job;
        },
        [&] { return decode_job_details(parse_json_body(request, *body, secrets)); });
}

list_result<task_info> decode_task_list_text(std::shared_ptr<const std::string> body, const request_spec& request,
                                             const std::vector<std::string>& secrets) {
    return text_or_dom(
        [&]() -> std::optional<list_result<task_info>> {
            task_envelope e;
            frame root{frame_kind::root, &envelope_type, &e};
            root.object = true;
            json::basic_parser<record_handler> parser(json_body_parse_options(), root, *body);
            // `result: false` is the DOM path's server error.
            if (!parse_text(parser, *body) || !e.ok.value_or(true)) return std::nullopt;
            list_result<task_info>& list = e.list;
            fill_list_counts(list, e.total, e.num_after_truncation, e.num_filtered,
                             static_cast<std::int64_t>(list.items.size()), true);
            attach_raws(list.items, parser.handler().starts(), body);
            return std::move(list);
        },
        [&] { return decode_state_list(parse_json_body(request, *body, secrets), &decode_task); });
}

}  // namespace raycl::core
