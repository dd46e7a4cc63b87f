#include "core/requests.hpp"

#include "core/models_json.hpp"
#include "core/state_resources.hpp"
#include "core/runtime_env_uri.hpp"
#include "core/validation.hpp"

#include <raycl/error.hpp>

#include <boost/json/serialize.hpp>

#include <cmath>
#include <random>

namespace raycl::core {
namespace {

bool is_unreserved(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

std::string percent_encode(std::string_view text, bool encode_all_dots) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (is_unreserved(c) && !(encode_all_dots && c == '.')) {
            out.push_back(c);
            continue;
        }
        auto byte = static_cast<unsigned char>(c);
        out.push_back('%');
        out.push_back(hex[byte >> 4]);
        out.push_back(hex[byte & 0x0F]);
    }
    return out;
}

request_spec make(http_method method, std::string target, bool idempotent = true) {
    request_spec spec;
    spec.method = method;
    spec.target = std::move(target);
    spec.idempotent = idempotent;
    return spec;
}

request_spec with_json(request_spec spec, const boost::json::object& body) {
    spec.body = boost::json::serialize(body);
    spec.json_body = true;
    return spec;
}

// Job routes accept a submission id or a hex job id: both fit the resource-id rule.
std::string job_path(std::string_view id) {
    validate_resource_id("job", id);
    return "/api/jobs/" + percent_encode_segment(id);
}

// common.py::uri_to_http_components: only gcs:// packages are uploaded, named with a package
// extension; the name goes into the path as one segment.
std::string package_path(std::string_view uri) {
    const std::string_view name = gcs_package_name(uri);
    if (!uri.starts_with("gcs://") || name.empty() || uri.size() != name.size() + 6 ||
        !has_package_extension(name, package_field::py_modules))
        throw client_error(error_kind::invalid_argument,
                           "a package URI must be gcs://NAME with NAME ending in .zip, .whl, .tar.gz, .tgz or .tar.xz");
    return "/api/packages/gcs/" + percent_encode_segment(name);
}

}  // namespace

void append_query(std::string& target, std::string_view name, std::string_view value) {
    target.push_back(target.find('?') == std::string::npos ? '?' : '&');
    target.append(name);
    target.push_back('=');
    target.append(percent_encode_query(value));
}

void append_filters(std::string& target, const std::vector<list_filter>& filters) {
    for (const list_filter& filter : filters) {
        append_query(target, "filter_keys", filter.key);
        append_query(target, "filter_predicates", filter.predicate);
        append_query(target, "filter_values", filter.value);
    }
}

void append_server_timeout(std::string& target, double seconds) {
    // Ray parses `timeout` with int(): send whole seconds, rounded up so it never becomes 0.
    append_query(target, "timeout", std::to_string(static_cast<long>(std::ceil(seconds))));
}

std::string_view to_string(http_method method) noexcept {
    switch (method) {
        case http_method::get:
            return "GET";
        case http_method::post:
            return "POST";
        case http_method::put:
            return "PUT";
        case http_method::delete_:
            return "DELETE";
    }
    return "GET";
}

std::string request_spec::describe() const {
    return std::string(to_string(method)) + " " + target;
}

std::string percent_encode_segment(std::string_view text) {
    // "." and ".." are path navigation, not names: escape their dots so no server or proxy
    // normalises the target to a different route.
    bool only_dots = !text.empty() && text.find_first_not_of('.') == std::string_view::npos;
    return percent_encode(text, only_dots);
}

std::string percent_encode_query(std::string_view text) {
    return percent_encode(text, false);
}

request_spec version_request() {
    return make(http_method::get, "/api/version");
}

request_spec list_jobs_request() {
    return make(http_method::get, "/api/jobs/");
}

request_spec get_job_request(std::string_view id) {
    return make(http_method::get, job_path(id));
}

request_spec job_logs_request(std::string_view id) {
    return make(http_method::get, job_path(id) + "/logs");
}

request_spec stop_job_request(std::string_view id) {
    return make(http_method::post, job_path(id) + "/stop", false);
}

request_spec delete_job_request(std::string_view id) {
    return make(http_method::delete_, job_path(id));
}

request_spec submit_job_request(const job_submission& submission, std::string_view submission_id) {
    validate_submission(submission);
    validate_resource_id("submission", submission_id);
    return with_json(make(http_method::post, "/api/jobs/"), encode_submission(submission, submission_id));
}

request_spec state_list_request(std::string_view resource, const list_options& options) {
    validate_list_options(options);
    const state_resource_info& info = state_resource(resource);
    validate_filter_columns(info, options.filters);
    if (options.exclude_driver && info.route != "tasks")
        throw client_error(error_kind::invalid_argument, "exclude_driver applies to tasks only");
    std::string target = "/api/v0/" + std::string(resource);
    if (options.limit) append_query(target, "limit", std::to_string(*options.limit));
    if (options.detail) append_query(target, "detail", "true");
    if (options.server_timeout_seconds) append_server_timeout(target, *options.server_timeout_seconds);
    if (options.exclude_driver) append_query(target, "exclude_driver", *options.exclude_driver ? "true" : "false");
    append_filters(target, options.filters);
    return make(http_method::get, std::move(target));
}

request_spec state_get_request(std::string_view resource, std::string_view id_key, std::string_view id) {
    std::string_view kind = id_key;
    if (kind.ends_with("_id")) kind.remove_suffix(3);
    validate_resource_id(kind, id);
    list_options options;
    options.detail = true;
    options.filters.push_back({std::string(id_key), "=", std::string(id)});
    return state_list_request(resource, options);
}

request_spec package_exists_request(std::string_view uri) {
    return make(http_method::get, package_path(uri));
}

request_spec package_upload_request(std::string_view uri, file_body file) {
    request_spec spec = make(http_method::put, package_path(uri));
    spec.body_file = std::make_shared<const file_body>(std::move(file));
    return spec;
}

request_spec serve_list_request(std::optional<std::string_view> api_type) {
    std::string target = "/api/serve/applications/";
    if (api_type) {
        if (*api_type != "declarative" && *api_type != "imperative")
            throw client_error(error_kind::invalid_argument, "api_type must be \"declarative\" or \"imperative\"");
        append_query(target, "api_type", *api_type);
    }
    return make(http_method::get, std::move(target));
}

request_spec serve_deploy_request(const boost::json::object& config) {
    if (!config.contains("applications") || !config.at("applications").is_array())
        throw client_error(error_kind::invalid_argument, "a Serve config needs an \"applications\" array");
    // Replacing the whole declarative config is idempotent: sending it twice ends the same.
    return with_json(make(http_method::put, "/api/serve/applications/"), config);
}

request_spec serve_shutdown_request() {
    return make(http_method::delete_, "/api/serve/applications/");
}

std::string generate_submission_id() {
    thread_local std::mt19937_64 engine{[] {
        std::random_device device;
        return (std::uint64_t{device()} << 32) ^ device();
    }()};
    static constexpr char hex[] = "0123456789abcdef";
    std::uint64_t bits = engine();
    std::string id = "raycl_";
    for (int i = 0; i < 16; ++i, bits >>= 4) id.push_back(hex[bits & 0x0F]);
    return id;
}

}  // namespace raycl::core
