// Following several jobs' logs at once (`raycl job logs --follow` with several ids or a
// selection): which jobs a selection takes, how lines are prefixed and kept whole, and the
// exit code of the lot. Pure code; commands/job_logs.cpp drives it.
#pragma once

#include <raycl/log_stream.hpp>
#include <raycl/models.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace raycl::cli {

/// The jobs `--all`, `--selector KEY=VALUE` and `--status` choose.
struct job_selection {
    std::vector<std::pair<std::string, std::string>> metadata;  ///< every one must match
    std::vector<std::string> statuses;                          ///< empty: non-terminal jobs
};

/// The id a job is followed by: its submission id (driver jobs have none and cannot be tailed).
std::optional<std::string> followable_id(const job_details& job);

/// Whether the selection takes `job`. A job that appeared while following (`appeared`) is taken
/// in any status unless --status names some: it may have ended between two listings.
bool selects(const job_selection& selection, const job_details& job, bool appeared);

/// "[ID] ", coloured by `index` (one of six colours) when `colour`.
std::string line_prefix(std::string_view id, std::size_t index, bool colour);

/// Makes whole lines of a job's delivered lines: the pieces of a line longer than the stream's
/// message size are joined, so lines of different jobs never interleave inside a line.
class line_joiner {
public:
    /// The whole line (without newline) once `line` completes one.
    std::optional<std::string> add(const log_line& line);
    /// What is left at the end of the log (its unterminated last line), if anything.
    std::optional<std::string> finish();

private:
    std::string pending_;
    bool has_pending_ = false;
};

/// How following one job ended.
struct job_outcome {
    std::string id;
    std::optional<job_status> status;  ///< the terminal status; nullopt when following failed
};

/// 3 when following any job failed (an error), else 1 when any job FAILED or was STOPPED,
/// else 0.
int combined_exit_code(const std::vector<job_outcome>& outcomes);

/// "following 5 jobs: 2 running, 1 queued, 1 succeeded, 1 failed" (the progress line).
std::string follow_progress(std::size_t running, std::size_t queued, const std::vector<job_outcome>& outcomes);

}  // namespace raycl::cli
