// Which Ray release the server runs, and what each release can do (pure: no I/O).
//
// The client learns the server's release once (`GET /api/version`, see client_impl) and asks
// here before it sends something an older release cannot take: `check` answers yes, no or
// "cannot tell" (under token auth without a valid token `/api/version` answers 401/403, which
// only says "2.52 or later"), and `unsupported_error` is the error to raise for a no. The table
// of capabilities (first release of each, with where that was read) is the one behind the
// README's compatibility table and docs/ray-versions.md.
#pragma once

#include "core/requests.hpp"

#include <raycl/error.hpp>
#include <raycl/models.hpp>

#include <compare>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {

/// A Ray release number, e.g. 2.44.1.
struct ray_release {
    int major = 0;
    int minor = 0;
    int patch = 0;

    friend constexpr auto operator<=>(const ray_release&, const ray_release&) = default;
    /// "2.44.1".
    std::string to_string() const;
};

/// Parses "2.44.1", "2.9" (patch 0), "2.60.0rc1" or "3.0.0.dev0" (a suffix after the numbers
/// is ignored: a release candidate or nightly has the capabilities of its release). nullopt
/// when the text does not start with `<major>.<minor>`.
std::optional<ray_release> parse_ray_release(std::string_view text) noexcept;

/// What the client knows of the server's release.
struct server_version {
    enum class certainty {
        exact,     ///< `/api/version` told it
        at_least,  ///< only a lower bound: `/api/version` refused us with 401/403 (token auth: 2.52+)
    };
    ray_release release{};  ///< the release, or the lower bound
    certainty known = certainty::exact;

    /// The release `/api/version` reported.
    static server_version exactly(ray_release release) noexcept { return {release, certainty::exact}; }
    /// Token auth refused `/api/version`: 2.52 or later, nothing more.
    static server_version token_protected() noexcept;

    /// "Ray 2.44.1", or "Ray 2.52 or later (token auth hides its exact release)".
    std::string describe() const;
};

/// The release `GET /api/version` reported; 500 protocol_error when `ray_version` is missing
/// or not a release number.
server_version server_version_of(const version_info& info);

/// What the answer to `GET /api/version` says: 200 -> server_version_of(its body); 401/403 ->
/// token_protected() (only token auth hides the route, and it came in 2.52); any other
/// status -> its client_error (classify_status). `secrets` are redacted from errors.
server_version server_version_from(const request_spec& request, int http_status, std::string_view body,
                                   const std::vector<std::string>& secrets);

/// Features whose first Ray release raycl knows (docs/ray-versions.md has the evidence).
enum class capability {
    multi_application_serve,  ///< `/api/serve/applications/` (2.4.0)
    log_by_submission_id,     ///< `submission_id` on `/api/v0/logs/{file,stream}` (2.5.1)
    entrypoint_memory,        ///< `entrypoint_memory` on a submit, `driver_exit_code` (2.8.1)
    /// A declarative `PUT /api/serve/applications/` leaves imperatively deployed applications
    /// alone (2.11.0; before, it deleted every application not in the config).
    serve_declarative_put_keeps_imperative,
    version_session_name,       ///< `session_name` in `/api/version` (2.32.0)
    serve_application_source,   ///< Serve applications carry `source` (2.39.0)
    raw_log_bodies,             ///< `/api/v0/logs/*` bodies without the leading status byte (2.45.0)
    log_download_filename,      ///< `download_filename` on `/api/v0/logs/file` (2.47.0)
    serve_api_type_filter,      ///< `?api_type=` on `/api/serve/applications/` (2.50.0)
    job_supervisor_died_error,  ///< `error_type: JOB_SUPERVISOR_ACTOR_DIED` when the driver's node dies (2.50.0)
    log_filter_ansi_code,       ///< `filter_ansi_code` on `/api/v0/logs/*` (2.51.0)
    token_authentication,       ///< `RAY_AUTH_MODE=token`, `/api/authentication_mode` (2.52.0)
    state_api_bad_request,      ///< state-API validation errors as 400 with a message (2.52.0)
    state_timeout_one_second,   ///< `timeout=1` on state lists (2.52.0)
    entrypoint_label_selector,  ///< `entrypoint_label_selector` on a submit (2.54.0)
    platform_events,            ///< `/api/v0/platform_events` (2.56.0)
};

/// One row of the table.
struct capability_info {
    capability id;
    std::string_view feature;  ///< what a message names, e.g. "entrypoint_label_selector on a job submission"
    ray_release first;         ///< the first release that has it
    std::string_view source;   ///< where that was read: Ray's code, or a running cluster
};

/// Every capability, in order of first release.
std::span<const capability_info> capabilities() noexcept;
/// The row of one capability.
const capability_info& describe(capability feature) noexcept;

/// The answer to "does the server have this?".
enum class support { yes, no, unknown };

/// yes/no for an exact release; for a lower bound, yes when the bound has it, else unknown
/// (the server may or may not: let it decide, never guess).
support check(const server_version& server, capability feature) noexcept;

/// The error for a feature the server lacks: kind `unsupported` (501), e.g. "entrypoint_label_selector
/// on a job submission needs Ray 2.54.0 or later; the cluster runs Ray 2.44.1".
client_error unsupported_error(capability feature, const server_version& server);

/// Throws unsupported_error when check() says no.
void require(const server_version& server, capability feature);

/// The oldest and newest release raycl is tested against (scripts/ray-versions/matrix.txt).
inline constexpr ray_release oldest_tested_release{2, 8, 1};
inline constexpr ray_release newest_tested_release{2, 60, 0};

}  // namespace raycl::core
