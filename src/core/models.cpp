#include <raycl/models.hpp>

#include <algorithm>
#include <array>
#include <utility>

namespace raycl {
namespace {

// One table per enum keeps parse and to_string in agreement.
constexpr std::array<std::pair<job_status, std::string_view>, 5> job_status_names{{
    {job_status::pending, "PENDING"},
    {job_status::running, "RUNNING"},
    {job_status::stopped, "STOPPED"},
    {job_status::succeeded, "SUCCEEDED"},
    {job_status::failed, "FAILED"},
}};

constexpr std::array<std::pair<serve_app_status, std::string_view>, 6> serve_status_names{{
    {serve_app_status::not_started, "NOT_STARTED"},
    {serve_app_status::deploying, "DEPLOYING"},
    {serve_app_status::deploy_failed, "DEPLOY_FAILED"},
    {serve_app_status::running, "RUNNING"},
    {serve_app_status::unhealthy, "UNHEALTHY"},
    {serve_app_status::deleting, "DELETING"},
}};

template <class Enum, std::size_t N>
Enum parse_name(const std::array<std::pair<Enum, std::string_view>, N>& table, std::string_view text,
                Enum fallback) noexcept {
    for (const auto& [value, name] : table)
        if (name == text) return value;
    return fallback;
}

template <class Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum value) noexcept {
    for (const auto& [candidate, name] : table)
        if (candidate == value) return name;
    return "UNKNOWN";
}

}  // namespace

job_status parse_job_status(std::string_view text) noexcept {
    return parse_name(job_status_names, text, job_status::unknown);
}

std::string_view to_string(job_status status) noexcept {
    return name_of(job_status_names, status);
}

bool is_terminal(job_status status) noexcept {
    return status == job_status::stopped || status == job_status::succeeded || status == job_status::failed;
}

serve_app_status parse_serve_app_status(std::string_view text) noexcept {
    return parse_name(serve_status_names, text, serve_app_status::unknown);
}

std::string_view to_string(serve_app_status status) noexcept {
    return name_of(serve_status_names, status);
}

std::string_view to_string(serve_api_type type) noexcept {
    return type == serve_api_type::declarative ? "declarative" : "imperative";
}

const serve_application* serve_instance::find(std::string_view name) const noexcept {
    auto it = std::find_if(applications.begin(), applications.end(),
                           [&](const serve_application& app) { return app.name == name; });
    return it == applications.end() ? nullptr : &*it;
}

}  // namespace raycl
