// Building the HTTP requests of each operation (pure: no I/O). Builders validate what they
// put into a target or body (ids, list options, submissions) and throw client_error 400.
#pragma once

#include <raycl/models.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {

enum class http_method { get, post, put, delete_ };

/// Stable name, e.g. "GET".
std::string_view to_string(http_method method) noexcept;

/// A request body streamed from a file instead of held in memory (a package upload). Every
/// attempt reads the file again from its first byte.
struct file_body {
    std::string path;        ///< the file to send
    std::uint64_t size = 0;  ///< its size when planned: exactly this many bytes are sent
    /// Bytes of the body sent so far and in all; called after each piece written (on the
    /// strand that sends). May throw to abandon the request.
    std::function<void(std::uint64_t sent, std::uint64_t total)> progress{};
};

/// One request to send, before base path, headers and auth are added.
struct request_spec {
    http_method method = http_method::get;
    std::string target;      ///< path + query, percent-encoded, e.g. "/api/jobs/abc"
    std::string body;        ///< JSON text or empty
    bool json_body = false;  ///< send Content-Type: application/json
    bool idempotent = true;  ///< safe to send again after it may have reached the server
    /// The answer is an `/api/v0/logs/*` body whose HTTP chunk starts matter (core/log_framing.hpp).
    bool framed_log_body = false;
    /// When set, the body is this file (and `body` is ignored).
    std::shared_ptr<const file_body> body_file{};

    /// "METHOD target" for messages.
    std::string describe() const;
};

/// Percent-encodes a path segment: unreserved characters (RFC 3986) stay, everything else
/// (including '/', '%', '?', '#', space, non-ASCII bytes) becomes %XX.
std::string percent_encode_segment(std::string_view text);

/// Percent-encodes a query value (same set as a segment).
std::string percent_encode_query(std::string_view text);

/// Appends `name=value` (the value percent-encoded) to `target`, after '?' or '&'.
void append_query(std::string& target, std::string_view name, std::string_view value);
/// Appends the filters as Ray's parallel filter_keys/filter_predicates/filter_values triples.
void append_filters(std::string& target, const std::vector<list_filter>& filters);
/// Appends `timeout=<seconds>`: Ray parses it with int(), so whole seconds, rounded up (never 0).
void append_server_timeout(std::string& target, double seconds);

request_spec version_request();
request_spec list_jobs_request();                      ///< GET /api/jobs/ (slash required)
request_spec get_job_request(std::string_view id);     ///< GET /api/jobs/{id}
request_spec job_logs_request(std::string_view id);    ///< GET /api/jobs/{id}/logs
request_spec stop_job_request(std::string_view id);    ///< POST /api/jobs/{id}/stop (not idempotent)
request_spec delete_job_request(std::string_view id);  ///< DELETE /api/jobs/{id}
/// POST /api/jobs/ with only the set fields; `submission_id` is always sent (idempotent=true
/// because the id makes a repeat detectable).
request_spec submit_job_request(const job_submission& submission, std::string_view submission_id);

/// GET /api/v0/{resource}?limit=..&detail=..&timeout=..&exclude_driver=..&filter_keys=..&filter_predicates=..&filter_values=..
/// `resource` is a route of core/state_resources.hpp ("nodes", "tasks", "placement_groups", ...);
/// filter columns are checked against Ray 2.60's (400), exclude_driver is for tasks only (400).
/// Ray parses `timeout` with int(), so it is sent in whole seconds, rounded up. Filters go out as
/// key/predicate/value triples in order.
request_spec state_list_request(std::string_view resource, const list_options& options);
/// A single-row lookup: list with filter `id_key = id`, detail=true.
request_spec state_get_request(std::string_view resource, std::string_view id_key, std::string_view id);

/// GET /api/packages/gcs/{name}: 200 when the cluster has the package (it also renews the
/// package's temporary pin), 404 when it does not. `uri` must be a `gcs://` URI whose name ends
/// with a package extension (400 otherwise).
request_spec package_exists_request(std::string_view uri);
/// PUT /api/packages/gcs/{name} with the bytes of `file` as the body (no content type, as Ray's
/// client sends it). Content-addressed bytes under their own name: idempotent.
request_spec package_upload_request(std::string_view uri, file_body file);

/// GET /api/serve/applications/ (optionally ?api_type=declarative|imperative)
request_spec serve_list_request(std::optional<std::string_view> api_type = std::nullopt);
/// PUT /api/serve/applications/ with the config; 400 when it has no "applications" array.
request_spec serve_deploy_request(const boost::json::object& config);
/// DELETE /api/serve/applications/
request_spec serve_shutdown_request();

/// Generates a submission id "raycl_" + 16 random lowercase hex characters.
std::string generate_submission_id();

}  // namespace raycl::core
