#include "core/responses.hpp"

#include "core/sanitize.hpp"

#include <boost/json/parse.hpp>

#include <algorithm>

namespace raycl::core {
namespace {

constexpr std::size_t max_body_kept = 2048;
constexpr std::size_t max_summary_line = 300;
constexpr std::size_t max_request_line = 512;
constexpr std::size_t max_json_depth = 64;

// "RuntimeError: text" or "ray.exceptions.RaySystemError: text", not indented.
bool is_exception_line(std::string_view line) noexcept {
    auto colon = line.find(": ");
    if (colon == std::string_view::npos || colon == 0) return false;
    return std::all_of(line.begin(), line.begin() + static_cast<std::ptrdiff_t>(colon), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
    });
}

// The line that explains the failure: the first non-empty one, or for a Python traceback
// (Ray's usual 500 body) the last exception line. Ray's agent wraps the error text as
// "...: {text}." so the body may end with a lone "." that explains nothing.
std::string_view summary_line(std::string_view body) {
    std::string_view first, last_exception;
    bool traceback = body.find("Traceback (most recent call last)") != std::string_view::npos;
    for (std::size_t begin = 0; begin < body.size();) {
        std::size_t end = std::min(body.find('\n', begin), body.size());
        std::string_view line = body.substr(begin, end - begin);
        begin = end + 1;
        auto start = line.find_first_not_of(" \t\r");
        if (start == std::string_view::npos) continue;
        std::string_view trimmed = line.substr(start, line.find_last_not_of(" \t\r") - start + 1);
        if (first.empty()) first = trimmed;
        if (!traceback) break;
        if (start == 0 && is_exception_line(trimmed)) last_exception = trimmed;
    }
    return last_exception.empty() ? first : last_exception;
}

/// A failed gRPC call of the dashboard to a node's agent, as Python prints grpc's AioRpcError
/// (Ray answers str(error) with a 500): "<AioRpcError of RPC that terminated with:\n\tstatus =
/// StatusCode.X\n\tdetails = \"...\"\n...>". Its first line says nothing; its status and details do.
std::optional<std::string> agent_rpc_failure(std::string_view body) {
    const auto start = body.find("AioRpcError of RPC that terminated with:");
    if (start == std::string_view::npos) return std::nullopt;
    const auto field = [&](std::string_view key, std::string_view stop) -> std::string_view {
        const auto at = body.find(key, start);
        if (at == std::string_view::npos) return {};
        const auto from = at + key.size();
        const auto to = body.find_first_of(stop, from);
        return body.substr(from, (to == std::string_view::npos ? body.size() : to) - from);
    };
    const auto status = field("status = StatusCode.", " \t\r\n>");
    const auto details = field("details = \"", "\"\r\n");
    if (status.empty()) return std::nullopt;
    std::string line = "the dashboard's call to a node agent failed: " + std::string(status);
    if (!details.empty()) line += " (" + std::string(details) + ")";
    if (status == "UNAUTHENTICATED")
        line +=
            "; under token authentication Ray 2.52's dashboard sends no token on its streaming calls to "
            "node agents (fixed by 2.60), so logs cannot be read there";
    return line;
}

/// pydantic's "1 validation error for ListApiOptions" says nothing by itself: the reason is on
/// the next line ("  Value error, Unsupported filter predicate > is given. ...").
std::string explaining_line(std::string_view body) {
    if (auto rpc = agent_rpc_failure(body)) return std::move(*rpc);
    const std::string_view line = summary_line(body);
    std::string text(line);
    if (line.find(" validation error for ") == std::string_view::npos &&
        line.find(" validation errors for ") == std::string_view::npos)
        return text;
    const auto after = static_cast<std::size_t>(line.data() + line.size() - body.data());
    const auto next = body.find_first_not_of(" \t\r\n", after);
    if (next == std::string_view::npos) return text;
    const auto end = std::min(body.find('\n', next), body.size());
    return text + ": " + std::string(body.substr(next, end - next));
}

std::string describe_request(const request_spec& request, const std::vector<std::string>& secrets) {
    return sanitize(request.describe(), secrets, max_request_line);
}

/// The body a client_error keeps: redacted whole first, then cut (a cut must not split a secret).
std::string kept_body(std::string_view body, const std::vector<std::string>& secrets) {
    return sanitize(sanitize(body, secrets, std::string::npos), secrets, max_body_kept);
}

/// The `msg` of Ray's JSON error envelope `{"result": false, "msg": "...", "data": ...}`
/// (state API, log lists, packages), or nullopt for any other body.
std::optional<std::string> envelope_message(std::string_view body) {
    if (!body.starts_with('{')) return std::nullopt;
    boost::system::error_code ec;
    boost::json::parse_options options;
    options.max_depth = max_json_depth;
    const auto value = boost::json::parse(body, ec, {}, options);
    if (ec || !value.is_object()) return std::nullopt;
    const auto& object = value.get_object();
    const auto* result = object.if_contains("result");
    const auto* msg = object.if_contains("msg");
    // `result` absent or false (a `result: true` body is data, not an error).
    if ((result && (!result->is_bool() || result->get_bool())) || !msg || !msg->is_string()) return std::nullopt;
    return std::string(msg->get_string());
}

/// Up to Ray 2.44 the state API answered its validation errors with HTTP 500 and the Python
/// traceback in the envelope (2.52+: 400 and the message): the final exception tells them
/// apart from a server failure. pydantic's ValidationError is a ValueError.
bool is_refused_input(std::string_view summary) noexcept {
    return summary.starts_with("ValueError: ") || summary.find("ValidationError: ") != std::string_view::npos;
}

/// aiohttp's own page for an exception it caught: Ray 2.45-2.51 answer every state-API error
/// with it, so it carries no reason.
constexpr std::string_view bare_500_page = "500 Internal Server Error\n\nServer got itself in trouble";

}  // namespace

std::optional<client_error> classify_status(const request_spec& request, int http_status, std::string_view body,
                                            const std::vector<std::string>& secrets) {
    if (is_success_status(http_status)) return std::nullopt;
    error_kind kind = map_status(http_status).kind;
    std::string what = "HTTP " + std::to_string(http_status);
    if (const auto message = envelope_message(body)) {
        // Explain with the envelope's message, not the JSON around it.
        const std::string redacted = sanitize(*message, secrets, std::string::npos);
        if (http_status == 500 && is_refused_input(summary_line(redacted))) {
            kind = error_kind::invalid_argument;
            what += " (Ray before 2.52 answers a refused query this way)";
        }
        const auto explained = describe_failure(kind, request, what, *message, http_status, secrets);
        return client_error(
            kind, diagnostics(explained.message(), explained.request(), kept_body(body, secrets), http_status));
    }
    if (http_status == 500 && body == bare_500_page && request.target.starts_with("/api/v0/")) {
        const auto explained = describe_failure(
            kind, request,
            what +
                " without a reason (Ray 2.45 to 2.51 answer every state-API error this way, a refused query too, "
                "e.g. an unknown filter column; Ray 2.52+ says why)",
            {}, http_status, secrets);
        return client_error(
            kind, diagnostics(explained.message(), explained.request(), kept_body(body, secrets), http_status));
    }
    return describe_failure(kind, request, what, body, http_status, secrets);
}

client_error describe_failure(error_kind kind, const request_spec& request, std::string_view what,
                              std::string_view body, int http_status, const std::vector<std::string>& secrets) {
    std::string described = describe_request(request, secrets);
    // Redact the whole body before choosing a line: a key and its secret value may sit on
    // different lines, and the line must not be picked from a cut body.
    std::string redacted = sanitize(body, secrets, std::string::npos);
    std::string message = described + " failed: " + std::string(what);
    if (const std::string line = explaining_line(redacted); !line.empty())
        message += ": " + sanitize(line, secrets, max_summary_line);
    return client_error(kind, std::move(message), std::move(described), kept_body(redacted, secrets), http_status);
}

boost::json::parse_options json_body_parse_options() noexcept {
    boost::json::parse_options options;
    options.max_depth = max_json_depth;
    return options;
}

boost::json::value parse_json_body(const request_spec& request, std::string_view body,
                                   const std::vector<std::string>& secrets) {
    const boost::json::parse_options options = json_body_parse_options();
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(body, ec, {}, options);
    if (ec) {
        std::string described = describe_request(request, secrets);
        throw client_error(error_kind::protocol_error, described + " returned malformed JSON: " + ec.message(),
                           described, sanitize(body, secrets, max_body_kept));
    }
    return value;
}

client_error transport_error(const request_spec& request, transport_failure failure, std::string_view detail,
                             const std::vector<std::string>& secrets) {
    std::string described = describe_request(request, secrets);
    const auto row = map_failure(failure);
    std::string message = described + " failed: " + std::string(row.text);
    if (!detail.empty()) message += ": " + sanitize(detail, secrets, max_summary_line);
    return client_error(row.kind, std::move(message), std::move(described));
}

bool is_duplicate_submission(int http_status, std::string_view body) noexcept {
    return http_status == 500 && body.find("Please use a different submission_id") != std::string_view::npos;
}

}  // namespace raycl::core
