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

// The state API's error envelope {"result": false, "msg": "...", "data": ...}: its msg explains.
std::string envelope_message(std::string_view body) {
    if (body.empty() || body.front() != '{') return {};
    boost::json::parse_options options;
    options.max_depth = max_json_depth;
    boost::system::error_code ec;
    const boost::json::value value = boost::json::parse(body, ec, {}, options);
    const boost::json::object* object = ec ? nullptr : value.if_object();
    const boost::json::value* msg = object ? object->if_contains("msg") : nullptr;
    if (!msg || !msg->is_string()) return {};
    return std::string(msg->get_string());
}

std::string describe_request(const request_spec& request, const std::vector<std::string>& secrets) {
    return sanitize(request.describe(), secrets, max_request_line);
}

}  // namespace

std::optional<client_error> classify_status(const request_spec& request, int http_status, std::string_view body,
                                            const std::vector<std::string>& secrets) {
    if (is_success_status(http_status)) return std::nullopt;
    std::string described = describe_request(request, secrets);
    // Redact the whole body before choosing a line: a key and its secret value may sit on
    // different lines, and the line must not be picked from a cut body.
    std::string redacted = sanitize(body, secrets, std::string::npos);
    std::string message = described + " failed: HTTP " + std::to_string(http_status);
    const std::string msg = envelope_message(redacted);
    if (std::string_view line = msg.empty() ? summary_line(redacted) : summary_line(msg); !line.empty())
        message += ": " + sanitize(line, secrets, max_summary_line);
    return client_error(map_status(http_status).kind, std::move(message), std::move(described),
                        sanitize(redacted, secrets, max_body_kept), http_status);
}

boost::json::value parse_json_body(const request_spec& request, std::string_view body,
                                   const std::vector<std::string>& secrets) {
    boost::json::parse_options options;
    options.max_depth = max_json_depth;
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
