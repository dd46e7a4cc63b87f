// What `job submit` adds to a plain submission, as `ray job submit` does it: the runtime_env
// composed from --runtime-env FILE / --runtime-env-json / --working-dir / --py-modules, the
// --headers (else $RAY_JOB_HEADERS) and --verify connection settings, and the packaging progress
// line drawn on a terminal. Pure code.
#pragma once

#include "args.hpp"

#include <raycl/options.hpp>
#include <raycl/runtime_env.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace raycl::cli {

/// The runtime_env `job submit` sends: the one of `--runtime-env FILE` (`from_file`, already
/// read) or `--runtime-env-json`, then `--working-dir` replacing its `working_dir` and
/// `--py-modules` its `py_modules` list. nullopt when none of them is given.
std::optional<boost::json::object> compose_runtime_env(const command& cmd,
                                                       const std::optional<boost::json::object>& from_file);

/// A JSON object of strings (`--headers`, `$RAY_JOB_HEADERS`) as header pairs; else
/// invalid_value naming `what`.
std::vector<std::pair<std::string, std::string>> parse_headers_json(const std::string& text, const std::string& what);

/// `--verify`: click's BOOL words (`true`/`false`, `1`/`0`, `yes`/`no`, `y`/`n`, `t`/`f`,
/// `on`/`off`, any case) set `verify_tls`; anything else is a CA file (and keeps verification on).
void apply_verify(command& cmd, const std::string& value);

/// The connection settings of `job submit` on top of the resolved ones: `--headers`, else the
/// headers of `ray_job_headers` ($RAY_JOB_HEADERS, may be null), appended to `options.headers`;
/// `--verify`. @throws usage_error for a malformed $RAY_JOB_HEADERS.
void apply_job_submit_connection(const command& cmd, const char* ray_job_headers, client_options& options);

/// `12.5 MiB`, `980 KiB`, `17 B` (binary units, one decimal from MiB up).
std::string format_bytes(std::uint64_t bytes);

/// One progress report as a line without its end, e.g.
/// `raycl: working_dir: uploading 12.0 MiB / 20.0 MiB (60%)` or
/// `raycl: py_modules[0]: already on the cluster, skipped`.
std::string progress_line(const packaging_progress& report);

/// Whether a report ends its package's line: a skipped package, or the last byte uploaded.
bool progress_line_is_final(const packaging_progress& report) noexcept;

}  // namespace raycl::cli
