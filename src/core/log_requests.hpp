// The requests of Ray's log routes (pure): validating what names a log, building the queries of
// `/api/v0/logs` and `/api/v0/logs/{file,stream}`, and reading how those routes fail.
//
// Ray 2.60 answers every failure to find a log with HTTP 500 and a sentence (see
// docs/ray-api-notes.md, "Logs of anything"); classify_log_status turns the sentences that mean
// "no such log" into 404 and the actor-task one into 400, as a caller needs them.
#pragma once

#include "core/requests.hpp"

#include <raycl/error.hpp>
#include <raycl/logs.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {

/// Ray's id sizes in bytes (each id is sent as twice as many hex characters).
inline constexpr std::size_t task_id_bytes = 24;
inline constexpr std::size_t actor_id_bytes = 16;
inline constexpr std::size_t node_id_bytes = 28;

/// Checks a hex id of `bytes` bytes: 400 "<kind> ID must be <2*bytes> hexadecimal characters".
/// The id itself is not echoed.
void validate_hex_id(std::string_view kind, std::string_view id, std::size_t bytes);

/// Checks a node: an id of 56 hex characters, or an IP address (IPv4 dotted or IPv6 hex and
/// colons, at most 45 characters); the head needs no check.
void validate_node_selector(const node_selector& node);

/// Checks a log target before any I/O: submission id (resource-id rule), task id (48 hex) and
/// attempt (>= 0), actor id (32 hex), pid (> 0), file name (relative, no `..` part, no control
/// character, at most 1024 bytes), node.
void validate_log_target(const raycl::log_target& target);

/// Checks options against the target: `lines` -1 or 1..10,000,000; `err` only where there is a
/// stderr log (tasks, actors, workers); the server timeout as every timeout.
void validate_log_options(const raycl::log_target& target, const log_options& options);

/// Checks a glob of `list_logs`: non-empty, relative, no `..` part, no control character, at most
/// 1024 bytes (Ray refuses the others with a bare 500).
void validate_log_glob(std::string_view glob);

/// The part of the query that names the log, e.g. `task_id=..&attempt_number=1&suffix=err`,
/// `node_id=..&filename=raylet.out`, `submission_id=..&node_id=<driver node>`. The node must be
/// named by id or IP (the facade looks the head up first): 400 for the head. `driver_node_id`
/// is the job's driver node (Ray 2.60 wants a node next to a submission id).
std::string log_query(const raycl::log_target& target, log_suffix suffix, std::string_view driver_node_id = {});

/// GET /api/v0/logs/file?<log_query>&lines=..[&timeout=..][&filter_ansi_code=true]. Validates.
request_spec log_file_request(const raycl::log_target& target, const log_options& options,
                              std::string_view driver_node_id = {});

/// GET /api/v0/logs?node_id=..|node_ip=..&glob=..[&timeout=..]. Validates (the head: 400).
request_spec list_logs_request(const node_selector& node, std::string_view glob,
                               std::optional<seconds> server_timeout = std::nullopt);

/// GET /api/v0/nodes?filter is_head_node=true: finds the head node.
request_spec head_node_request();

/// classify_status for the log routes: Ray's 500s that mean the log, its task attempt, actor,
/// worker, node or file does not exist become 404 (not_found), the actor-task one ("For actor
/// task, please query actor log for actor(<id>)") a 400 whose message says to read that actor's
/// log instead. Other answers as classify_status.
std::optional<client_error> classify_log_status(const request_spec& request, int http_status, std::string_view body,
                                                const std::vector<std::string>& secrets);

/// The log text of an answer to a `/api/v0/logs/file` request. A refusal is
/// classify_log_status's error. When `request.framed_log_body` is set (the server is Ray <=
/// 2.44, core/log_framing.hpp) the status byte of every chunk is removed, and the server's
/// in-band error (a `0` chunk inside a 200) is classified as Ray 2.45+'s 500 with the same text
/// is: a missing log is 404 on every release. Throws client_error.
std::string log_file_text(const request_spec& request, int http_status, std::string_view body,
                          std::span<const std::size_t> chunk_starts, const std::vector<std::string>& secrets);

}  // namespace raycl::core
