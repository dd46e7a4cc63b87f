#include "core/ray_version.hpp"

#include "core/models_json.hpp"
#include "core/responses.hpp"
#include "core/sanitize.hpp"

#include <array>
#include <charconv>

namespace raycl::core {
namespace {

constexpr ray_release token_auth_release{2, 52, 0};

// In order of first release; lookups search (16 rows).
constexpr std::array<capability_info, 16> capability_table{{
    {capability::multi_application_serve,
     "multi-application Serve (/api/serve/applications/)",
     {2, 4, 0},
     "ray/dashboard/modules/serve/serve_rest_api_impl.py (2.3.1 wheel: single-app /api/serve/deployments/ only)"},
    {capability::log_by_submission_id,
     "a job's log over /api/v0/logs (submission_id)",
     {2, 5, 1},
     "ray/util/state/common.py GetLogOptions.submission_id (2.4.0 wheel: absent)"},
    {capability::entrypoint_memory,
     "entrypoint_memory on a job submission",
     {2, 8, 1},
     "dashboard/modules/job/common.py JobSubmitRequest (2.7.2 wheel: absent)"},
    {capability::serve_declarative_put_keeps_imperative,
     "deleting one Serve application while others are deployed imperatively",
     {2, 11, 0},
     "ray/serve/_private/application_state.py apply_app_configs deletes only declarative apps (2.10.0 wheel: "
     "controller.deploy_config deletes every application not in the config)"},
    {capability::version_session_name,
     "session_name in /api/version",
     {2, 32, 0},
     "dashboard/modules/job/job_head.py get_version; seen: 2.9.3 version.json has none"},
    {capability::serve_application_source,
     "the source (declarative/imperative) of a Serve application",
     {2, 39, 0},
     "ray/serve/schema.py ApplicationDetails.source; seen: absent on 2.9.3 and 2.32.0"},
    {capability::raw_log_bodies,
     "log bodies without Ray's leading status byte",
     {2, 45, 0},
     "dashboard/modules/state/state_head.py get_logs (PR #51787); seen: leading 1 per chunk on 2.44.1"},
    {capability::log_download_filename,
     "download_filename on /api/v0/logs/file",
     {2, 47, 0},
     "ray/util/state/common.py GetLogOptions.download_filename"},
    {capability::serve_api_type_filter,
     "the api_type filter of Serve applications",
     {2, 50, 0},
     "dashboard/modules/serve/serve_head.py; seen: ignored on 2.9.3, 2.32.0, 2.44.1, 2.45.0"},
    {capability::job_supervisor_died_error,
     "error_type JOB_SUPERVISOR_ACTOR_DIED for a job whose driver node died",
     {2, 50, 0},
     "dashboard/modules/job/job_manager.py; seen: null on 2.32.0-2.45.0 (real_ray_faults)"},
    {capability::log_filter_ansi_code,
     "filter_ansi_code on /api/v0/logs",
     {2, 51, 0},
     "dashboard/modules/state/state_head.py get_logs"},
    {capability::token_authentication, "token authentication", token_auth_release,
     "ray/_private/authentication/ (2.51.0 wheel: absent); seen: /api/authentication_mode 404 before 2.52"},
    {capability::state_api_bad_request,
     "state-API validation errors with a reason (HTTP 400)",
     {2, 52, 0},
     "dashboard/state_api_utils.py (2.51.0 wheel: 500); seen: 500 envelope on 2.44.1, bare 500 on 2.45.0"},
    {capability::state_timeout_one_second,
     "a state-API timeout of 1 s",
     {2, 52, 0},
     "ray/util/state/common.py ListApiOptions; seen: 500 '0 second timeout' on 2.9.3-2.45.0, 200 on 2.52.1"},
    {capability::entrypoint_label_selector,
     "entrypoint_label_selector on a job submission",
     {2, 54, 0},
     "dashboard/modules/job/common.py JobSubmitRequest (2.53.0 wheel: absent); seen: 400 TypeError before"},
    {capability::platform_events, "/api/v0/platform_events", {2, 56, 0}, "dashboard/modules/state/state_head.py"},
}};

/// Reads a decimal number at the front of `text`; nullopt when there is none.
std::optional<int> take_number(std::string_view& text) noexcept {
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || value < 0) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    return value;
}

}  // namespace

std::string ray_release::to_string() const {
    return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

std::optional<ray_release> parse_ray_release(std::string_view text) noexcept {
    ray_release release;
    const auto major = take_number(text);
    if (!major || !text.starts_with('.')) return std::nullopt;
    text.remove_prefix(1);
    const auto minor = take_number(text);
    if (!minor) return std::nullopt;
    release.major = *major;
    release.minor = *minor;
    if (text.starts_with('.')) {
        auto rest = text.substr(1);
        if (const auto patch = take_number(rest)) release.patch = *patch;
    }
    return release;
}

server_version server_version::token_protected() noexcept {
    return {token_auth_release, certainty::at_least};
}

std::string server_version::describe() const {
    if (known == certainty::exact) return "Ray " + release.to_string();
    return "Ray " + std::to_string(release.major) + "." + std::to_string(release.minor) +
           " or later (token authentication hides its exact release)";
}

server_version server_version_of(const version_info& info) {
    const auto release = parse_ray_release(info.ray_version);
    if (!release) {
        throw client_error(
            error_kind::protocol_error,
            "GET /api/version named no Ray release (ray_version \"" + sanitize(info.ray_version, {}, 64) + "\")",
            "GET /api/version");
    }
    return server_version::exactly(*release);
}

server_version server_version_from(const request_spec& request, int http_status, std::string_view body,
                                   const std::vector<std::string>& secrets) {
    if (http_status == 401 || http_status == 403) return server_version::token_protected();
    if (auto error = classify_status(request, http_status, body, secrets)) throw *error;
    return server_version_of(decode_version(parse_json_body(request, body, secrets)));
}

std::span<const capability_info> capabilities() noexcept {
    return capability_table;
}

const capability_info& describe(capability feature) noexcept {
    for (const auto& row : capability_table) {
        if (row.id == feature) return row;
    }
    return capability_table.front();  // unreachable: every enumerator has a row (unit-tested)
}

support check(const server_version& server, capability feature) noexcept {
    const auto first = describe(feature).first;
    if (server.release >= first) return support::yes;
    return server.known == server_version::certainty::exact ? support::no : support::unknown;
}

client_error unsupported_error(capability feature, const server_version& server) {
    const auto& row = describe(feature);
    return client_error(error_kind::unsupported, std::string(row.feature) + " needs Ray " + row.first.to_string() +
                                                     " or later; the cluster runs " + server.describe());
}

void require(const server_version& server, capability feature) {
    if (check(server, feature) == support::no) throw unsupported_error(feature, server);
}

}  // namespace raycl::core
