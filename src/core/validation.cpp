#include "core/validation.hpp"

#include "core/sanitize.hpp"
#include "core/text.hpp"

#include <raycl/error.hpp>

#include <boost/json/value.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace raycl::core {
namespace {

constexpr std::size_t max_id_length = 100;
constexpr std::size_t max_app_name_length = 256;
constexpr double max_timeout_seconds = 300.0;
constexpr int max_list_limit = 10000;
constexpr int max_retry_attempts = 100;
constexpr std::chrono::milliseconds max_backoff_bound{300'000};

[[noreturn]] void reject(std::string message) {
    throw client_error(error_kind::invalid_argument, std::move(message));
}

bool is_alnum(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_id_char(char c) noexcept {
    return is_alnum(c) || c == '-' || c == '_';
}

// RFC 9110 tchar: the characters of a header name or cookie name.
bool is_token_char(char c) noexcept {
    static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return is_alnum(c) || extra.find(c) != std::string_view::npos;
}

bool is_http_token(std::string_view text) noexcept {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

// CR/LF/NUL would split or end a header line (request smuggling); other controls are refused
// as well since no legitimate header or cookie value carries them.
bool has_control_char(std::string_view text, bool allow_tab) noexcept {
    return std::any_of(text.begin(), text.end(), [&](char c) {
        auto u = static_cast<unsigned char>(c);
        return (u < 0x20 && !(allow_tab && c == '\t')) || u == 0x7F;
    });
}

void validate_number(std::string_view what, double value) {
    if (!std::isfinite(value) || value < 0) reject(std::string(what) + " must be a finite number >= 0");
}

void validate_retry_policy(const retry_policy& policy) {
    if (policy.max_attempts < 1 || policy.max_attempts > max_retry_attempts)
        reject("retry max_attempts must be in [1, " + std::to_string(max_retry_attempts) + "]");
    if (policy.initial_backoff.count() < 0 || policy.initial_backoff > max_backoff_bound)
        reject("retry initial_backoff must be in [0, 300] s");
    if (policy.max_backoff.count() < 0 || policy.max_backoff > max_backoff_bound)
        reject("retry max_backoff must be in [0, 300] s");
    if (!std::isfinite(policy.multiplier) || policy.multiplier < 1.0 || policy.multiplier > 100.0)
        reject("retry multiplier must be in [1, 100]");
}

bool is_filter_key(std::string_view key) noexcept {
    return !key.empty() && !(key.front() >= '0' && key.front() <= '9') &&
           std::all_of(key.begin(), key.end(), [](char c) { return is_alnum(c) || c == '_'; });
}

// Host name or IPv4 (letters, digits, '-', '.', '_'), or the inside of an IPv6 literal.
bool is_host_name(std::string_view host) noexcept {
    return !host.empty() && std::all_of(host.begin(), host.end(),
                                        [](char c) { return is_alnum(c) || c == '-' || c == '.' || c == '_'; });
}

bool is_ipv6_literal(std::string_view host) noexcept {
    return host.find(':') != std::string_view::npos && std::all_of(host.begin(), host.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' ||
                      c == '.';
           });
}

// RFC 3986 pchar plus '/': what a base path may hold (percent-escapes included).
bool is_path_char(char c) noexcept {
    static constexpr std::string_view extra = "-._~!$&'()*+,;=:@/%";
    return is_alnum(c) || extra.find(c) != std::string_view::npos;
}

std::string parse_port(std::string_view text) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || text.size() > 5 || ec != std::errc{} || end != text.data() + text.size() || value < 1 ||
        value > 65535)
        reject("invalid dashboard address: the port must be a number in [1, 65535]");
    return std::to_string(value);
}

// Strings of a JSON request body must be UTF-8, else the body sent is not JSON.
void require_utf8(std::string_view what, std::string_view text) {
    if (!is_valid_utf8(text)) reject(std::string(what) + " must be valid UTF-8");
}

void require_utf8_json(std::string_view what, const boost::json::value& value);

void require_utf8_json(std::string_view what, const boost::json::object& object) {
    for (const auto& entry : object) {
        require_utf8(what, entry.key());
        require_utf8_json(what, entry.value());
    }
}

void require_utf8_json(std::string_view what, const boost::json::value& value) {
    if (const auto* text = value.if_string()) {
        require_utf8(what, std::string_view(*text));
    } else if (const auto* array = value.if_array()) {
        for (const auto& item : *array) require_utf8_json(what, item);
    } else if (const auto* object = value.if_object()) {
        require_utf8_json(what, *object);
    }
}

}  // namespace

void validate_resource_id(std::string_view kind, std::string_view id) {
    std::string name(kind);
    if (id.empty()) reject(name + " ID cannot be empty");
    if (!std::all_of(id.begin(), id.end(), is_id_char)) reject("Invalid " + name + " ID format");
    if (id.size() > max_id_length) reject(name + " ID too long");
}

void validate_app_name(std::string_view name) {
    if (name.empty()) reject("Serve application name cannot be empty");
    if (name.size() > max_app_name_length) reject("Serve application name too long");
    if (name.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos)
        reject("Serve application name must not contain NUL, CR or LF");
}

void validate_timeout(std::string_view what, seconds value) {
    double s = value.count();
    if (!std::isfinite(s) || s <= 0.0 || s > max_timeout_seconds)
        reject(std::string(what) + " must be a finite number of seconds in (0, 300]");
}

void validate_header(std::string_view name, std::string_view value) {
    if (!is_http_token(name)) reject("invalid header name: must be an HTTP token");
    if (has_control_char(value, true))
        reject("invalid value of header " + std::string(name) + ": control characters (CR, LF, NUL) are not allowed");
}

void validate_cookie(std::string_view name, std::string_view value) {
    if (!is_http_token(name)) reject("invalid cookie name: must be an HTTP token");
    if (has_control_char(value, false) || value.find(';') != std::string_view::npos)
        reject("invalid value of cookie " + std::string(name) + ": control characters and ';' are not allowed");
}

void validate_list_options(const list_options& options) {
    if (options.limit && (*options.limit < 1 || *options.limit > max_list_limit)) reject("limit must be in [1, 10000]");
    for (const list_filter& filter : options.filters) {
        if (!is_filter_key(filter.key)) reject("filter key must be a non-empty identifier");
        if (filter.predicate != "=" && filter.predicate != "!=") reject("filter predicate must be \"=\" or \"!=\"");
    }
    if (options.server_timeout_seconds) validate_timeout("server timeout", seconds{*options.server_timeout_seconds});
}

void validate_submission(const job_submission& submission) {
    if (trim(submission.entrypoint).empty()) reject("entrypoint cannot be empty");
    require_utf8("entrypoint", submission.entrypoint);
    if (submission.runtime_env) require_utf8_json("runtime_env", *submission.runtime_env);
    if (submission.metadata) {
        for (const auto& [key, value] : *submission.metadata) {
            require_utf8("metadata", key);
            require_utf8("metadata", value);
        }
    }
    if (submission.submission_id) validate_resource_id("submission", *submission.submission_id);
    if (submission.entrypoint_num_cpus) validate_number("entrypoint_num_cpus", *submission.entrypoint_num_cpus);
    if (submission.entrypoint_num_gpus) validate_number("entrypoint_num_gpus", *submission.entrypoint_num_gpus);
    if (submission.entrypoint_memory && *submission.entrypoint_memory < 0) reject("entrypoint_memory must be >= 0");
    if (submission.entrypoint_resources) {
        for (const auto& [name, amount] : *submission.entrypoint_resources) {
            if (name.empty()) reject("entrypoint_resources names cannot be empty");
            require_utf8("entrypoint_resources names", name);
            validate_number("entrypoint_resources values", amount);
        }
    }
    if (submission.entrypoint_label_selector) {
        for (const auto& [key, value] : *submission.entrypoint_label_selector) {
            if (key.empty()) reject("entrypoint_label_selector keys cannot be empty");
            require_utf8("entrypoint_label_selector", key);
            require_utf8("entrypoint_label_selector", value);
        }
    }
}

void validate_client_options(const client_options& options) {
    if (!options.address.empty()) parse_address(options.address);
    // The token is never echoed: only what is wrong with it.
    if (!std::all_of(options.token.begin(), options.token.end(), [](char c) { return c > ' ' && c < 0x7F; }))
        reject("token must be printable ASCII without spaces");
    for (const auto& [name, value] : options.headers) validate_header(name, value);
    for (const auto& [name, value] : options.cookies) validate_cookie(name, value);
    validate_timeout("connect timeout", options.timeout.connect);
    validate_timeout("read timeout", options.timeout.read);
    validate_retry_policy(options.retry);
    if (options.max_response_bytes == 0) reject("max_response_bytes must be > 0");
    if (options.max_connections_per_strand == 0) reject("max_connections_per_strand must be > 0");
}

void validate_call_options(const call_options& options) {
    if (options.connect_timeout) validate_timeout("connect timeout", *options.connect_timeout);
    if (options.read_timeout) validate_timeout("read timeout", *options.read_timeout);
    if (options.retry) validate_retry_policy(*options.retry);
}

endpoint parse_address(std::string_view address) {
    // Trimmed because addresses often come from files or variables with a trailing newline.
    std::string_view rest = trim(address);
    if (rest.empty()) reject("dashboard address cannot be empty");
    if (has_control_char(rest, false) || rest.find(' ') != std::string_view::npos)
        reject("invalid dashboard address: spaces and control characters are not allowed");

    endpoint result;
    std::string default_port = "8265";  // Ray's dashboard port, for a bare "host[:port]"
    if (auto separator = rest.find("://"); separator != std::string_view::npos) {
        std::string scheme = to_lower(rest.substr(0, separator));
        if (scheme == "https") {
            result.tls = true;
            default_port = "443";
        } else if (scheme == "http") {
            default_port = "80";
        } else {
            bool printable = !scheme.empty() && std::all_of(scheme.begin(), scheme.end(), [](char c) {
                return is_alnum(c) || c == '+' || c == '-' || c == '.';
            });
            reject("unsupported scheme" + (printable ? " '" + scheme + "'" : std::string()) +
                   " in dashboard address: use http:// or https://");
        }
        rest.remove_prefix(separator + 3);
    }
    if (rest.find_first_of("?#") != std::string_view::npos)
        reject("dashboard address must not contain a query or fragment");

    std::string_view authority = rest.substr(0, rest.find('/'));
    std::string_view path = rest.substr(authority.size());
    // Credentials in a URL end up in logs and error messages; the token option is the way.
    if (authority.find('@') != std::string_view::npos)
        reject("dashboard address must not contain user info (credentials); pass a token instead");

    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        auto close = authority.find(']');
        if (close == std::string_view::npos || !is_ipv6_literal(authority.substr(1, close - 1)))
            reject("invalid dashboard address: malformed IPv6 literal");
        result.host = std::string(authority.substr(1, close - 1));
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') reject("invalid dashboard address: malformed IPv6 literal");
            port = after.substr(1);
            if (port.empty()) reject("invalid dashboard address: empty port");
        }
    } else {
        auto colon = authority.find(':');
        result.host = std::string(authority.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
            if (port.empty()) reject("invalid dashboard address: empty port");
        }
        if (!is_host_name(result.host)) reject("invalid dashboard address: missing or malformed host");
    }
    result.port = port.empty() ? default_port : parse_port(port);

    if (!std::all_of(path.begin(), path.end(), is_path_char))
        reject("invalid dashboard address: the path holds characters that must be percent-encoded");
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    result.base_path = std::string(path);

    bool ipv6 = result.host.find(':') != std::string::npos;
    result.display = std::string(result.tls ? "https" : "http") + "://" +
                     (ipv6 ? "[" + result.host + "]" : result.host) + ":" + result.port + result.base_path;
    return result;
}

}  // namespace raycl::core
