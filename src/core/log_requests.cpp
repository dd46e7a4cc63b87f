#include "core/log_requests.hpp"

#include "core/log_framing.hpp"
#include "core/responses.hpp"
#include "core/sanitize.hpp"
#include "core/validation.hpp"

#include <algorithm>
#include <array>

namespace raycl {

// ---- the public log types -------------------------------------------------------------------

node_selector node_selector::by_id(std::string node_id) {
    node_selector node;
    node.kind_ = kind::id;
    node.value_ = std::move(node_id);
    return node;
}

node_selector node_selector::by_ip(std::string node_ip) {
    node_selector node;
    node.kind_ = kind::ip;
    node.value_ = std::move(node_ip);
    return node;
}

log_target log_target::job(std::string submission_id) {
    log_target target;
    target.kind_ = kind::job;
    target.id_ = std::move(submission_id);
    return target;
}

log_target log_target::task(std::string task_id, std::int64_t attempt_number) {
    log_target target;
    target.kind_ = kind::task;
    target.id_ = std::move(task_id);
    target.attempt_number_ = attempt_number;
    return target;
}

log_target log_target::actor(std::string actor_id) {
    log_target target;
    target.kind_ = kind::actor;
    target.id_ = std::move(actor_id);
    return target;
}

log_target log_target::worker(std::int64_t pid, node_selector node) {
    log_target target;
    target.kind_ = kind::worker;
    target.pid_ = pid;
    target.node_ = std::move(node);
    return target;
}

log_target log_target::node_file(std::string filename, node_selector node) {
    log_target target;
    target.kind_ = kind::node_file;
    target.filename_ = std::move(filename);
    target.node_ = std::move(node);
    return target;
}

std::vector<std::string> log_file_list::files() const {
    std::vector<std::string> all;
    for (const auto& [category, names] : categories) all.insert(all.end(), names.begin(), names.end());
    std::sort(all.begin(), all.end());
    return all;
}

namespace core {
namespace {

constexpr std::int64_t max_log_lines = 10'000'000;
constexpr std::size_t max_path_length = 1024;

[[noreturn]] void reject(std::string message) {
    throw client_error(error_kind::invalid_argument, std::move(message));
}

bool is_hex(char c) noexcept {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A relative path without `..` parts or control characters: what Ray's log directory can hold.
void validate_relative_path(std::string_view what, std::string_view path) {
    if (path.empty()) reject(std::string(what) + " cannot be empty");
    if (path.size() > max_path_length) reject(std::string(what) + " is longer than 1024 bytes");
    if (path.front() == '/') reject(std::string(what) + " must be relative to the node's log directory");
    if (std::any_of(path.begin(), path.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; }))
        reject(std::string(what) + " cannot contain control characters");
    for (std::size_t begin = 0; begin <= path.size();) {
        const std::size_t end = std::min(path.find('/', begin), path.size());
        if (path.substr(begin, end - begin) == "..") reject(std::string(what) + " cannot contain '..'");
        begin = end + 1;
    }
}

std::string_view suffix_name(log_suffix suffix) noexcept {
    return suffix == log_suffix::err ? "err" : "out";
}

void append_node(std::string& query, const node_selector& node) {
    switch (node.how()) {
        case node_selector::kind::id:
            append_query(query, "node_id", node.value());
            return;
        case node_selector::kind::ip:
            append_query(query, "node_ip", node.value());
            return;
        case node_selector::kind::head:
            break;
    }
    reject("the head node must be looked up before its logs are read");
}

/// Ray's sentences (2.60, all HTTP 500) that mean the log or what it belongs to does not exist.
constexpr std::array<std::string_view, 9> not_found_sentences{
    "Could not find a log file",         // resolve_filename: no such file for the options
    "A file is not found at",            // the agent: no such file on the node
    "Could not find log file for task",  // unknown task/attempt, no node yet (2.9-2.44: "for task: X")
    "doesn't exist.",                    // "Agent for node id: X doesn't exist."
    "Actor ID ",                         // "Actor ID ActorID(X) not found."
    "Worker ID for Actor ID",            // an actor not scheduled yet
    "Cannot find matching node_id",      // an unknown node IP (list)
    "ResolvedStreamFileInfo",            // an unknown node IP (file/stream): pydantic's complaint
    "not in the subpath of",             // an absolute path outside the log directory
};

}  // namespace

void validate_hex_id(std::string_view kind, std::string_view id, std::size_t bytes) {
    if (id.size() != 2 * bytes || !std::all_of(id.begin(), id.end(), is_hex))
        reject(std::string(kind) + " ID must be " + std::to_string(2 * bytes) + " hexadecimal characters");
}

void validate_node_selector(const node_selector& node) {
    switch (node.how()) {
        case node_selector::kind::id:
            validate_hex_id("node", node.value(), node_id_bytes);
            return;
        case node_selector::kind::ip: {
            const std::string& ip = node.value();
            const bool ok = !ip.empty() && ip.size() <= 45 &&
                            std::all_of(ip.begin(), ip.end(), [](char c) { return is_hex(c) || c == '.' || c == ':'; });
            if (!ok) reject("node IP must be an IPv4 or IPv6 address");
            return;
        }
        case node_selector::kind::head:
            return;
    }
}

void validate_log_target(const raycl::log_target& target) {
    switch (target.what()) {
        case log_target::kind::job:
            validate_resource_id("submission", target.id());
            return;
        case log_target::kind::task:
            validate_hex_id("task", target.id(), task_id_bytes);
            if (target.attempt_number() < 0) reject("attempt_number must be >= 0");
            return;
        case log_target::kind::actor:
            validate_hex_id("actor", target.id(), actor_id_bytes);
            return;
        case log_target::kind::worker:
            if (target.pid() <= 0) reject("pid must be > 0");
            validate_node_selector(target.node());
            return;
        case log_target::kind::node_file:
            validate_relative_path("filename", target.filename());
            validate_node_selector(target.node());
            return;
    }
}

void validate_log_options(const raycl::log_target& target, const log_options& options) {
    if (options.lines != -1 && (options.lines < 1 || options.lines > max_log_lines))
        reject("lines must be -1 (the whole log) or in [1, 10000000]");
    if (options.suffix == log_suffix::err &&
        (target.what() == log_target::kind::job || target.what() == log_target::kind::node_file))
        reject("a job's driver log and a node's file have no separate stderr log (suffix err)");
    if (options.server_timeout) validate_timeout("server_timeout", *options.server_timeout);
}

void validate_log_glob(std::string_view glob) {
    validate_relative_path("glob", glob);
}

std::string log_query(const raycl::log_target& target, log_suffix suffix, std::string_view driver_node_id) {
    validate_log_target(target);
    std::string query;
    switch (target.what()) {
        case log_target::kind::job:
            append_query(query, "submission_id", target.id());
            append_query(query, "node_id", driver_node_id);
            break;
        case log_target::kind::task:
            append_query(query, "task_id", target.id());
            append_query(query, "attempt_number", std::to_string(target.attempt_number()));
            append_query(query, "suffix", suffix_name(suffix));
            break;
        case log_target::kind::actor:
            append_query(query, "actor_id", target.id());
            append_query(query, "suffix", suffix_name(suffix));
            break;
        case log_target::kind::worker:
            append_query(query, "pid", std::to_string(target.pid()));
            append_node(query, target.node());
            append_query(query, "suffix", suffix_name(suffix));
            break;
        case log_target::kind::node_file:
            append_node(query, target.node());
            append_query(query, "filename", target.filename());
            break;
    }
    return query.substr(1);  // without the leading '?'
}

request_spec log_file_request(const raycl::log_target& target, const log_options& options,
                              std::string_view driver_node_id) {
    validate_log_options(target, options);
    request_spec spec;
    spec.target = "/api/v0/logs/file?" + log_query(target, options.suffix, driver_node_id);
    append_query(spec.target, "lines", std::to_string(options.lines));
    if (options.server_timeout) append_server_timeout(spec.target, options.server_timeout->count());
    if (options.filter_ansi_code) append_query(spec.target, "filter_ansi_code", "true");
    return spec;
}

request_spec list_logs_request(const node_selector& node, std::string_view glob,
                               std::optional<seconds> server_timeout) {
    validate_node_selector(node);
    validate_log_glob(glob);
    if (server_timeout) validate_timeout("server_timeout", *server_timeout);
    request_spec spec;
    spec.target = "/api/v0/logs";
    append_node(spec.target, node);
    append_query(spec.target, "glob", glob);
    if (server_timeout) append_server_timeout(spec.target, server_timeout->count());
    return spec;
}

request_spec head_node_request() {
    list_options options;
    options.filters.emplace_back("is_head_node", "=", "true");
    return state_list_request("nodes", options);
}

namespace {

/// `error` (a 500, or an in-band error) refined by Ray's sentences in `body`: the actor-task one
/// is a 400, the ones that mean "does not exist" a 404; otherwise `error` itself.
client_error refine_log_error(client_error error, std::string_view body, int http_status,
                              const std::vector<std::string>& secrets) {
    constexpr std::string_view actor_task = "For actor task, please query actor log for actor(";
    if (const auto at = body.find(actor_task); at != std::string_view::npos) {
        const std::string_view rest = body.substr(at + actor_task.size());
        const std::string actor = sanitize(rest.substr(0, std::min(rest.find(')'), std::size_t{64})), secrets, 64);
        return client_error(error_kind::invalid_argument,
                            error.request() +
                                " failed: an actor task has no log of its own; read the log of its actor " + actor +
                                " instead (log_target::actor), or have Ray record actor task logs "
                                "(RAY_ENABLE_RECORD_ACTOR_TASK_LOGGING=1)",
                            error.request(), error.server_body(), http_status);
    }
    const bool missing =
        std::any_of(not_found_sentences.begin(), not_found_sentences.end(),
                    [&](std::string_view sentence) { return body.find(sentence) != std::string_view::npos; });
    if (!missing) return error;
    return client_error(error_kind::not_found, error.message(), error.request(), error.server_body(), http_status);
}

}  // namespace

std::optional<client_error> classify_log_status(const request_spec& request, int http_status, std::string_view body,
                                                const std::vector<std::string>& secrets) {
    auto error = classify_status(request, http_status, body, secrets);
    if (!error || http_status != 500) return error;
    return refine_log_error(std::move(*error), body, http_status, secrets);
}

std::string log_file_text(const request_spec& request, int http_status, std::string_view body,
                          std::span<const std::size_t> chunk_starts, const std::vector<std::string>& secrets) {
    if (auto error = classify_log_status(request, http_status, body, secrets)) throw *error;
    if (!request.framed_log_body) return std::string(body);
    auto decoded = decode_framed_log_body(log_framing::leading_byte, body, chunk_starts);
    switch (decoded.status) {
        case log_body_decoder::state::server_error:
            throw refine_log_error(in_band_log_error(request, decoded.error_text, secrets), decoded.error_text,
                                   http_status, secrets);
        case log_body_decoder::state::malformed:
            throw malformed_log_body_error(sanitize(request.describe(), secrets));
        default:
            return std::move(decoded.text);
    }
}

}  // namespace core
}  // namespace raycl
