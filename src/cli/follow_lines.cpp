// Following several jobs (see follow_lines.hpp).
#include "follow_lines.hpp"

#include "exit_codes.hpp"

#include <algorithm>

namespace raycl::cli {

std::optional<std::string> followable_id(const job_details& job) {
    if (!job.submission_id || job.submission_id->empty()) return std::nullopt;
    return job.submission_id;
}

bool selects(const job_selection& selection, const job_details& job, bool appeared) {
    if (!followable_id(job)) return false;
    if (selection.statuses.empty()) {
        if (!appeared && job.is_terminal()) return false;
    } else if (std::find(selection.statuses.begin(), selection.statuses.end(), job.status_text) ==
               selection.statuses.end()) {
        return false;
    }
    const auto metadata = job.raw->if_contains("metadata");
    for (const auto& [key, value] : selection.metadata) {
        const auto* object = metadata ? metadata->if_object() : nullptr;
        const auto* found = object ? object->if_contains(key) : nullptr;
        if (!found || !found->is_string() || found->get_string() != value) return false;
    }
    return true;
}

std::string line_prefix(std::string_view id, std::size_t index, bool colour) {
    static const char* const colours[] = {"\033[36m", "\033[33m", "\033[35m", "\033[32m", "\033[34m", "\033[96m"};
    const std::string text = "[" + std::string(id) + "]";
    if (!colour) return text + " ";
    return colours[index % std::size(colours)] + text + "\033[0m ";
}

std::optional<std::string> line_joiner::add(const log_line& line) {
    pending_ += line.text;
    has_pending_ = true;
    if (!line.newline) return std::nullopt;
    has_pending_ = false;
    return std::exchange(pending_, {});
}

std::optional<std::string> line_joiner::finish() {
    if (!has_pending_) return std::nullopt;
    has_pending_ = false;
    return std::exchange(pending_, {});
}

int combined_exit_code(const std::vector<job_outcome>& outcomes) {
    int code = exit_code::ok;
    for (const auto& outcome : outcomes) {
        if (!outcome.status) return exit_code::error;
        code = std::max(code, exit_code_for(*outcome.status));
    }
    return code;
}

std::string follow_progress(std::size_t running, std::size_t queued, const std::vector<job_outcome>& outcomes) {
    std::size_t succeeded = 0, failed = 0, stopped = 0, errors = 0;
    for (const auto& outcome : outcomes) {
        if (!outcome.status)
            ++errors;
        else if (*outcome.status == job_status::succeeded)
            ++succeeded;
        else if (*outcome.status == job_status::stopped)
            ++stopped;
        else
            ++failed;
    }
    const std::size_t total = running + queued + outcomes.size();
    std::string out = "following " + std::to_string(total) + (total == 1 ? " job: " : " jobs: ");
    out += std::to_string(running) + " running";
    const std::pair<std::size_t, const char*> parts[] = {
        {queued, "queued"}, {succeeded, "succeeded"}, {failed, "failed"}, {stopped, "stopped"}, {errors, "errors"}};
    for (const auto& [count, name] : parts) {
        if (count) out += ", " + std::to_string(count) + " " + name;
    }
    return out;
}

}  // namespace raycl::cli
