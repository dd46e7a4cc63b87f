#include <raycl/error.hpp>
#include <raycl/models.hpp>
#include <raycl/state.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <stdexcept>
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

std::vector<std::string> list_counts::describe_truncation(std::string_view rows) const {
    std::vector<std::string> notes;
    const std::string what(rows);
    if (source_truncated()) {
        const std::string counts =
            std::to_string(num_after_truncation) + " of the " + std::to_string(total) + " " + what + " it holds";
        if (filtered) {
            // Ray issue 33547: the source cut its rows before the dashboard filtered them.
            notes.push_back("Ray's data source returned only " + counts + ", and the filters ran on those: matching " +
                            what +
                            " may be missing (Ray issue 33547). Filter on columns Ray applies at the source "
                            "(e.g. job_id) to narrow what it reads.");
        } else {
            notes.push_back("The list is incomplete: Ray's data source returned " + counts + " (" +
                            std::to_string(total - num_after_truncation) + " truncated).");
        }
    }
    if (limit_truncated()) {
        notes.push_back("Showing " + std::to_string(returned) + " of " + std::to_string(num_filtered) +
                        (filtered ? " matching " : " ") + what + ": raise the limit or add filters to see the rest.");
    }
    if (!partial_failure_warning.empty()) notes.push_back(partial_failure_warning);
    for (const std::string& warning : warnings) notes.push_back(warning);
    return notes;
}

std::string_view to_string(task_summary_by by) noexcept {
    switch (by) {
        case task_summary_by::func_name:
            return "func_name";
        case task_summary_by::task_name:
            return "task_name";
        case task_summary_by::lineage:
            return "lineage";
    }
    return "func_name";
}

const serve_application* serve_instance::find(std::string_view name) const noexcept {
    auto it = std::find_if(applications.begin(), applications.end(),
                           [&](const serve_application& app) { return app.name == name; });
    return it == applications.end() ? nullptr : &*it;
}

/// A raw_object's shared state: the object, or the text it is parsed from (once).
struct raw_object::state {
    std::shared_ptr<const std::string> source{};  ///< Null: `object` was built as it is.
    std::string_view text{};                      ///< The record's range of `source`.
    mutable std::once_flag once{};
    mutable std::atomic<bool> done{false};  ///< `object` is complete (set once, after the parse).
    mutable boost::json::object object{};
};

raw_object::raw_object(boost::json::object object) : state_(std::make_shared<state>()) {
    state_->object = std::move(object);
}

raw_object::raw_object(std::shared_ptr<const std::string> source, std::size_t offset, std::size_t size)
    : state_(std::make_shared<state>()) {
    if (!source || offset > source->size() || size > source->size() - offset)
        throw std::out_of_range("raw_object: the range is outside the source text");
    state_->text = std::string_view(*source).substr(offset, size);
    state_->source = std::move(source);
}

const boost::json::object& raw_object::get() const {
    static const boost::json::object empty;
    if (!state_) return empty;
    if (state_->source && !state_->done.load(std::memory_order_acquire)) {
        // A throwing parse leaves the flag unset: the next get() tries again (and throws again).
        std::call_once(state_->once, [&s = *state_] {
            boost::system::error_code ec;
            boost::json::value value = boost::json::parse(s.text, ec);
            if (ec || !value.is_object())
                throw client_error(error_kind::protocol_error,
                                   "unexpected JSON from Ray: a record's text is not a JSON object");
            s.object = std::move(value.get_object());
            s.done.store(true, std::memory_order_release);
        });
    }
    return state_->object;
}

std::optional<std::string_view> raw_object::text() const noexcept {
    if (!state_ || !state_->source) return std::nullopt;
    return state_->text;
}

bool raw_object::parsed() const noexcept {
    return !state_ || !state_->source || state_->done.load(std::memory_order_acquire);
}

}  // namespace raycl
