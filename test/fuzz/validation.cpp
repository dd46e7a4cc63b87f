// Fuzzes input validation (core/validation) and the request builders that rely on it
// (core/requests). Input: one selector byte, then the text (fields separated by NUL):
//  0 resource id (+ job/state request builders), 1 Serve app name, 2 header "name\0value",
//  3 cookie "name\0value", 4 dashboard address, 5 list options (limit byte, flags byte, then
//  key\0predicate\0value triples), 6 submission "entrypoint\0submission_id", 7 percent-encoding.
// Checked (validation.hpp/requests.hpp): whatever is accepted holds none of the characters the
// rule forbids (ids: only [A-Za-z0-9_-], so no '/', "..", '%', CR, LF, NUL; header/cookie
// values: no CR/LF/NUL; addresses: host and port clean, no user info, no query/fragment, the
// display address parses back to the same endpoint); targets built from accepted input carry
// no CR/LF/NUL/space/'#' and their percent-encoded query values decode to the input; rejected
// input gives client_error 400 whose message does not echo the rejected value.
#include "fuzz_support.hpp"

#include "core/requests.hpp"
#include "core/validation.hpp"

#include <raycl/error.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <functional>

using namespace raycl;

namespace {

bool is_id_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

bool has_any(std::string_view text, std::string_view bytes) {
    return text.find_first_of(bytes) != std::string_view::npos;
}

constexpr std::string_view cr_lf_nul("\r\n\0", 3);

/// Runs `f`; returns the client_error it threw (checked: 400, no control characters), if any.
std::optional<client_error> rejected(const std::function<void()>& f) {
    try {
        f();
        return std::nullopt;
    } catch (const client_error& error) {
        RAYCL_FUZZ_CHECK(error.status() == 400 && error.kind() == error_kind::invalid_argument);
        for (char c : error.message()) RAYCL_FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20);
        return error;
    }
}

std::vector<std::string_view> fields(std::string_view text) {
    std::vector<std::string_view> out;
    for (;;) {
        const std::size_t nul = text.find('\0');
        out.push_back(text.substr(0, nul));
        if (nul == std::string_view::npos) return out;
        text.remove_prefix(nul + 1);
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;  // lowercase hex is not what percent_encode writes
}

/// Decodes %XX (uppercase) escapes; checks every other byte is unreserved.
std::string percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%') {
            RAYCL_FUZZ_CHECK(i + 2 < text.size());
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            RAYCL_FUZZ_CHECK(hi >= 0 && lo >= 0);
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
            continue;
        }
        const char c = text[i];
        RAYCL_FUZZ_CHECK(is_id_char(c) || c == '.' || c == '~');
        out.push_back(c);
    }
    return out;
}

/// A request target is a single line without spaces or fragments.
void check_target(std::string_view target) {
    RAYCL_FUZZ_CHECK(!target.empty() && target.front() == '/');
    RAYCL_FUZZ_CHECK(!has_any(target, std::string_view("\r\n\0 #\t", 6)));
}

void resource_id(std::string_view id) {
    const auto error = rejected([&] { core::validate_resource_id("job", id); });
    const bool valid = !id.empty() && id.size() <= 100 && std::all_of(id.begin(), id.end(), is_id_char);
    RAYCL_FUZZ_CHECK(valid == !error);
    if (error) {
        const std::string& m = error->message();
        RAYCL_FUZZ_CHECK(m == "job ID cannot be empty" || m == "Invalid job ID format" || m == "job ID too long");
        RAYCL_FUZZ_CHECK(rejected([&] { core::get_job_request(id); }).has_value());
        RAYCL_FUZZ_CHECK(rejected([&] { core::stop_job_request(id); }).has_value());
        RAYCL_FUZZ_CHECK(rejected([&] { core::state_get_request("tasks", "task_id", id); }).has_value());
        return;
    }
    RAYCL_FUZZ_CHECK(!has_any(id, std::string_view("/%.\r\n\0", 6)));
    RAYCL_FUZZ_CHECK(core::get_job_request(id).target == "/api/jobs/" + std::string(id));
    RAYCL_FUZZ_CHECK(core::job_logs_request(id).target == "/api/jobs/" + std::string(id) + "/logs");
    RAYCL_FUZZ_CHECK(core::delete_job_request(id).target == "/api/jobs/" + std::string(id));
    const auto stop = core::stop_job_request(id);
    RAYCL_FUZZ_CHECK(stop.target == "/api/jobs/" + std::string(id) + "/stop" && !stop.idempotent);
    const auto lookup = core::state_get_request("actors", "actor_id", id);
    check_target(lookup.target);
    RAYCL_FUZZ_CHECK(lookup.target.ends_with("filter_values=" + std::string(id)));
}

void app_name(std::string_view name) {
    const auto error = rejected([&] { core::validate_app_name(name); });
    const bool valid = !name.empty() && name.size() <= 256 && !has_any(name, cr_lf_nul);
    RAYCL_FUZZ_CHECK(valid == !error);
}

void header_or_cookie(std::string_view text, bool cookie) {
    const auto parts = fields(text);
    const std::string_view name = parts[0];
    const std::string_view value = parts.size() > 1 ? text.substr(name.size() + 1) : std::string_view();
    const auto error = rejected([&] {
        if (cookie)
            core::validate_cookie(name, value);
        else
            core::validate_header(name, value);
    });
    if (error) {
        // The value may be a credential: never echoed.
        // The message is the fixed sentence (with the valid name), never the value.
        const std::string& m = error->message();
        if (m.starts_with("invalid value"))
            RAYCL_FUZZ_CHECK(m == (cookie ? "invalid value of cookie " + std::string(name) +
                                                ": control characters and ';' are not allowed"
                                          : "invalid value of header " + std::string(name) +
                                                ": control characters (CR, LF, NUL) are not allowed"));
        else
            RAYCL_FUZZ_CHECK(m == (cookie ? "invalid cookie name: must be an HTTP token"
                                          : "invalid header name: must be an HTTP token"));
        return;
    }
    RAYCL_FUZZ_CHECK(!name.empty() && !has_any(name, std::string_view("\r\n\0 :/;=\"(),@[]{}\\\t", 20)));
    RAYCL_FUZZ_CHECK(!has_any(value, cr_lf_nul));
    if (cookie) RAYCL_FUZZ_CHECK(value.find(';') == std::string_view::npos);
}

void address(std::string_view text) {
    core::endpoint parsed;
    const auto error = rejected([&] { parsed = core::parse_address(text); });
    if (error) {
        RAYCL_FUZZ_CHECK(error->message().find('@') == std::string::npos);
        return;
    }
    RAYCL_FUZZ_CHECK(!parsed.host.empty());
    RAYCL_FUZZ_CHECK(!has_any(parsed.host, std::string_view("/@%?#[] \r\n\0\t", 12)));
    RAYCL_FUZZ_CHECK(!parsed.port.empty() && parsed.port.size() <= 5 && parsed.port.front() != '0');
    RAYCL_FUZZ_CHECK(std::all_of(parsed.port.begin(), parsed.port.end(), [](char c) { return c >= '0' && c <= '9'; }));
    RAYCL_FUZZ_CHECK(std::stoi(parsed.port) >= 1 && std::stoi(parsed.port) <= 65535);
    RAYCL_FUZZ_CHECK(!has_any(parsed.base_path, std::string_view("?# \r\n\0\t", 7)));  // '@' is a pchar
    RAYCL_FUZZ_CHECK(parsed.base_path.empty() || (parsed.base_path.front() == '/' && parsed.base_path.back() != '/'));
    RAYCL_FUZZ_CHECK(parsed.display.starts_with(parsed.tls ? "https://" : "http://"));
    const std::string_view authority = std::string_view(parsed.display).substr(parsed.tls ? 8 : 7);
    RAYCL_FUZZ_CHECK(authority.substr(0, authority.find('/')).find('@') == std::string_view::npos);
    // The display form is an address that parses to the same endpoint.
    const core::endpoint again = core::parse_address(parsed.display);
    RAYCL_FUZZ_CHECK(again.tls == parsed.tls && again.host == parsed.host && again.port == parsed.port &&
                     again.base_path == parsed.base_path && again.display == parsed.display);
}

void options(std::string_view text) {
    raycl::fuzz::input_view in(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    list_options opts;
    const std::uint8_t limit = in.byte();
    const std::uint8_t flags = in.byte();
    if (limit != 0) opts.limit = limit == 255 ? 10001 : (limit == 254 ? -1 : limit * 40);
    opts.detail = (flags & 1U) != 0;
    if (flags & 2U) opts.server_timeout_seconds = (flags >> 2) * 7.3 - 3.0;
    const auto parts = fields(in.rest());
    for (std::size_t i = 0; i + 2 < parts.size(); i += 3)
        opts.filters.emplace_back(std::string(parts[i]), std::string(parts[i + 1]), std::string(parts[i + 2]));
    core::request_spec spec;
    const auto error = rejected([&] { spec = core::state_list_request("tasks", opts); });
    if (error) return;
    check_target(spec.target);
    RAYCL_FUZZ_CHECK(spec.target.starts_with("/api/v0/tasks"));
    // The query: name=value pairs whose values decode to what was asked for.
    std::vector<std::pair<std::string, std::string>> query;
    const std::size_t question = spec.target.find('?');
    if (question != std::string::npos) {
        std::string_view rest = std::string_view(spec.target).substr(question + 1);
        for (;;) {
            const std::size_t amp = rest.find('&');
            const std::string_view pair = rest.substr(0, amp);
            const std::size_t eq = pair.find('=');
            RAYCL_FUZZ_CHECK(eq != std::string_view::npos);
            query.emplace_back(std::string(pair.substr(0, eq)), percent_decode(pair.substr(eq + 1)));
            if (amp == std::string_view::npos) break;
            rest.remove_prefix(amp + 1);
        }
    }
    std::size_t filter = 0;
    for (std::size_t i = 0; i < query.size(); ++i) {
        if (query[i].first != "filter_keys") continue;
        RAYCL_FUZZ_CHECK(filter < opts.filters.size() && i + 2 < query.size());
        const auto& f = opts.filters[filter++];
        RAYCL_FUZZ_CHECK(query[i].second == f.key && !f.key.empty());
        RAYCL_FUZZ_CHECK(query[i + 1].first == "filter_predicates" && query[i + 1].second == f.predicate);
        RAYCL_FUZZ_CHECK(query[i + 2].first == "filter_values" && query[i + 2].second == f.value);
        RAYCL_FUZZ_CHECK(f.predicate == "=" || f.predicate == "!=");
    }
    RAYCL_FUZZ_CHECK(filter == opts.filters.size());
    if (opts.limit) RAYCL_FUZZ_CHECK(*opts.limit >= 1 && *opts.limit <= 10000);
}

void submission(std::string_view text) {
    const auto parts = fields(text);
    job_submission sub{std::string(parts[0])};
    if (parts.size() > 1) sub.submission_id = std::string(parts[1]);
    const std::string id = parts.size() > 2 ? std::string(parts[2]) : "raycl_0123456789abcdef";
    core::request_spec spec;
    const auto error = rejected([&] { spec = core::submit_job_request(sub, id); });
    if (error) return;
    if (sub.submission_id) RAYCL_FUZZ_CHECK(!rejected([&] { core::validate_resource_id("s", *sub.submission_id); }));
    RAYCL_FUZZ_CHECK(!rejected([&] { core::validate_resource_id("s", id); }));
    const auto body = boost::json::parse(spec.body).as_object();
    RAYCL_FUZZ_CHECK(body.at("entrypoint").as_string() == sub.entrypoint);
    RAYCL_FUZZ_CHECK(body.at("submission_id").as_string() == id);
}

void encoding(std::string_view text) {
    const std::string segment = core::percent_encode_segment(text);
    RAYCL_FUZZ_CHECK(percent_decode(segment) == text);
    RAYCL_FUZZ_CHECK(segment != "." && segment != "..");  // no path navigation
    RAYCL_FUZZ_CHECK(segment.find('/') == std::string::npos);
    const std::string query = core::percent_encode_query(text);
    RAYCL_FUZZ_CHECK(percent_decode(query) == text);
    RAYCL_FUZZ_CHECK(!has_any(query, "&=+?#/"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    raycl::fuzz::input_view in(data, size);
    const int selector = in.byte() % 8;
    const std::string_view text = in.rest();
    switch (selector) {
        case 0:
            resource_id(text);
            break;
        case 1:
            app_name(text);
            break;
        case 2:
            header_or_cookie(text, false);
            break;
        case 3:
            header_or_cookie(text, true);
            break;
        case 4:
            address(text);
            break;
        case 5:
            options(text);
            break;
        case 6:
            submission(text);
            break;
        case 7:
            encoding(text);
            break;
    }
    return 0;
}
