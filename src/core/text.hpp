// Small ASCII text helpers shared by the pure code (header-only, no allocation unless a copy
// is asked for).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>

namespace raycl::core {

/// `c` in lower case when it is an ASCII capital letter (locale-independent).
constexpr char ascii_lower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

/// `c` in upper case when it is an ASCII small letter (locale-independent).
constexpr char ascii_upper(char c) noexcept {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

/// An upper-case copy of `text` (ASCII letters only).
inline std::string to_upper(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), ascii_upper);
    return out;
}

/// A lower-case copy of `text` (ASCII letters only).
inline std::string to_lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
    return out;
}

/// `text` without leading and trailing blanks (space, tab, CR, LF, VT, FF).
constexpr std::string_view trim(std::string_view text) noexcept {
    constexpr std::string_view blanks = " \t\r\n\v\f";
    const auto begin = text.find_first_not_of(blanks);
    if (begin == std::string_view::npos) return {};
    return text.substr(begin, text.find_last_not_of(blanks) - begin + 1);
}

/// True when `text` contains `word`, ignoring ASCII case.
inline bool contains_ignoring_case(std::string_view text, std::string_view word) {
    return to_lower(text).find(to_lower(word)) != std::string::npos;
}

}  // namespace raycl::core
