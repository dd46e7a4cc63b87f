// Turning HTTP answers and transport failures into results or client_error (pure).
#pragma once

#include "core/error_mapping.hpp"
#include "core/requests.hpp"

#include <raycl/error.hpp>

#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {

/// Maps a non-2xx HTTP status to a client_error (nullopt for 2xx), its kind from `map_status`.
/// The message is "<describe()> failed: HTTP <n>: <first non-empty line of the body>" (for a
/// Python traceback, Ray's usual 500 body, its last unindented `SomeError: text` line); the body
/// is kept (sanitized, <= 2 KiB). `secrets` are redacted everywhere.
std::optional<client_error> classify_status(const request_spec& request, int http_status, std::string_view body,
                                            const std::vector<std::string>& secrets);

/// The error of a failed request: "<describe()> failed: <what>: <the line of `body` that
/// explains it>" (as classify_status picks it), `body` kept (sanitized, <= 2 KiB).
client_error describe_failure(error_kind kind, const request_spec& request, std::string_view what,
                              std::string_view body, int http_status, const std::vector<std::string>& secrets);

/// Parses a JSON success body; malformed JSON -> client_error protocol_error (500) naming the
/// request, with the body kept (sanitized, <= 2 KiB; `secrets` redacted). Depth is limited (64)
/// so hostile nesting cannot exhaust the stack.
/// The parse options of parse_json_body (its depth limit), for decoders that parse a body
/// themselves (core/record_decoder.hpp).
boost::json::parse_options json_body_parse_options() noexcept;

boost::json::value parse_json_body(const request_spec& request, std::string_view body,
                                   const std::vector<std::string>& secrets = {});

/// A client_error for a transport failure; `detail` is the low-level reason (sanitized).
client_error transport_error(const request_spec& request, transport_failure failure, std::string_view detail,
                             const std::vector<std::string>& secrets);

/// True when Ray's answer to a repeated submit means the first attempt created the job:
/// HTTP 500 whose body contains "Please use a different submission_id".
bool is_duplicate_submission(int http_status, std::string_view body) noexcept;

}  // namespace raycl::core
