// Input validation: every check runs before any I/O and throws client_error 400.
#pragma once

#include <raycl/models.hpp>
#include <raycl/options.hpp>

#include <string>
#include <string_view>

namespace raycl::core {

/// Checks an id of a job/node/task/actor: full match of [A-Za-z0-9_-]{1,100} (no trailing
/// newline slips through). The request builders call it for every id they put in a target.
/// Messages: "<kind> ID cannot be empty", "Invalid <kind> ID format",
/// "<kind> ID too long". The id itself is not echoed when it is malformed.
void validate_resource_id(std::string_view kind, std::string_view id);

/// Checks a Serve application name: non-empty, at most 256 bytes, no NUL/CR/LF.
void validate_app_name(std::string_view name);

/// Checks a timeout: finite and in (0, 300] seconds. `what` names it in the message.
void validate_timeout(std::string_view what, seconds value);

/// Checks a header: name is an HTTP token; the value holds no control character but TAB
/// (CR, LF, NUL included). The value is never echoed (it may be a credential).
void validate_header(std::string_view name, std::string_view value);

/// Checks a cookie pair: name is a token, value has no CR/LF/NUL/';'.
void validate_cookie(std::string_view name, std::string_view value);

/// Checks list options: limit in [1, 10000], filter keys non-empty identifiers, predicate
/// "=" or "!=", server timeout in (0, 300].
void validate_list_options(const list_options& options);

/// Checks a submission: non-empty entrypoint, valid submission_id if given, finite
/// non-negative cpus/gpus/resources, non-negative memory; every string that goes into the JSON
/// body (entrypoint, metadata, resource names, runtime_env keys and strings) valid UTF-8.
void validate_submission(const job_submission& submission);

/// Checks every field of client options (address, headers, cookies, timeouts, retry policy,
/// limits). Token characters: printable ASCII without spaces.
void validate_client_options(const client_options& options);

/// Checks call options (timeouts, retry policy).
void validate_call_options(const call_options& options);

/// A parsed dashboard address.
struct endpoint {
    bool tls = false;       ///< https
    std::string host;       ///< host name or IP (IPv6 without brackets)
    std::string port;       ///< numeric port as text; defaults: see parse_address
    std::string base_path;  ///< path prefix without trailing slash ("" or "/ray")
    std::string display;    ///< scheme://host:port[base_path], never with credentials
};

/// Parses a dashboard address (surrounding whitespace ignored). A missing scheme means http://.
/// Only http and https are accepted (ws, ray, ftp... are 400). A missing port follows URL rules,
/// 80 for http:// and 443 for https://, except for a bare "host" without a scheme, which is
/// Ray's convention for the dashboard and gets 8265. IPv6 literals in brackets ("[::1]:8265",
/// host stored without brackets). A path is kept as the base path (trailing slashes dropped).
/// User-info (credentials), a query or fragment are rejected with a message that does not
/// repeat the address.
endpoint parse_address(std::string_view address);

}  // namespace raycl::core
