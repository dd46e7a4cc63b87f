// UTF-8 helpers shared by sanitizing and by the path matching of runtime-env packaging.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace raycl::core {

/// Length (1..4) of the well-formed UTF-8 sequence starting at `text[i]`, or 0 when the bytes
/// there are not one (a stray continuation, an invalid lead, an overlong form, a surrogate, a
/// value past U+10FFFF, or a sequence cut short by the end of `text`).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept;

/// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or values past
/// U+10FFFF): what a JSON string sent to Ray must be.
bool is_valid_utf8(std::string_view text) noexcept;

/// Decodes bytes to code points the way Python decodes file names (UTF-8 with
/// "surrogateescape"): each byte that is not part of a well-formed sequence becomes the lone
/// surrogate U+DC80 + (byte - 0x80). Matching a name decoded like this against a pattern gives
/// the answer Python gives for the same bytes.
std::u32string decode_utf8_surrogateescape(std::string_view text);

/// Encodes code points as UTF-8 (lone surrogates are encoded as such: callers pass text that
/// came from valid UTF-8).
std::string encode_utf8(std::u32string_view text);

/// True for what Python's `str.isspace()` accepts, i.e. what `str.strip()` removes.
bool is_python_space(char32_t c) noexcept;

/// `text` without leading and trailing Python whitespace (`str.strip()`).
std::u32string_view strip_python_whitespace(std::u32string_view text) noexcept;

}  // namespace raycl::core
