// Redaction of secrets from any text that may reach an error message.
#pragma once

#include "core/utf8.hpp"  // is_valid_utf8, kept available to sanitize.hpp users

#include <raycl/options.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {

/// Redacts, then truncates. Redacted: every occurrence of each of `secrets` (non-empty ones,
/// and any run of 8+ of their leading characters, i.e. a secret someone else already cut),
/// `Bearer <x>`/`Basic <x>` credentials, values of Authorization/X-Ray-Authorization/Cookie/
/// Set-Cookie headers, `ray-authentication-token=...`, user-info passwords in URLs
/// (`scheme://user:pass@`), `token=`, `key=`, `password=`, `secret=` (also `:`-separated and
/// quoted JSON forms like "token": "...") values. Keys match as suffixes of an identifier, so
/// `api_key`, `access_token`, `X-Ray-Authorization`, `Set-Cookie` count; a key also ending in
/// `credential(s)` or `passwd` counts. Each redacted run becomes `[REDACTED]`. Quoted strings
/// in general are kept (they carry the useful part of Ray's messages).
/// Then control characters except \n and \t, and bytes that are not valid UTF-8, become '?',
/// and the text is cut to at most `max_length` bytes in all (on a UTF-8 boundary), the last
/// three being "..." when cut. `std::string::npos` means no limit.
std::string sanitize(std::string_view text, const std::vector<std::string>& secrets = {}, std::size_t max_length = 512);

/// The secrets of a client that `sanitize` must redact from every message: the token, cookie
/// values, and the values of headers whose name says they hold a credential (auth, token,
/// cookie, secret, key, password, session), plus the credential of a `Scheme credential`
/// value, since servers echo it without its scheme.
std::vector<std::string> secrets_of(const client_options& options);

/// `text` with every control character (newlines and tabs too) replaced by '?': for a name
/// (a JSON key, a file name) quoted inside a one-line message.
std::string one_line(std::string_view text);

}  // namespace raycl::core
