// Git wildmatch patterns exactly as Ray 2.60 applies them: its vendored pathspec 0.8.1
// ("gitwildmatch") turns each pattern into a Python regular expression; this is a translation
// of that code and of the Python regex semantics its output relies on, not of git's own rules.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {

/// One compiled pattern: a small program for a Pike VM, equivalent to the Python regular
/// expression pathspec builds for it (matched with `re.match`, so `$` also matches before a
/// final "\n" and `.` does not match "\n").
struct wildmatch_pattern {
    /// What one instruction does.
    enum class op : std::uint8_t {
        literal,          ///< the code point `value`
        any_but_slash,    ///< `[^/]`
        any_but_newline,  ///< `.`
        char_class,       ///< `classes[value]`
        split,            ///< continue at `next` and at `other`
        jump,             ///< continue at `next`
        end_of_text,      ///< `$`: at the end, or before a final "\n"
        match,            ///< success
    };
    /// One instruction.
    struct instruction {
        op kind;
        char32_t value = 0;  ///< literal code point, or index into `classes`
        std::uint32_t next = 0;
        std::uint32_t other = 0;
    };
    /// A bracket expression: code point ranges, possibly negated.
    struct char_class {
        bool negated = false;
        std::vector<std::pair<char32_t, char32_t>> ranges;
        bool contains(char32_t c) const noexcept;
    };

    std::vector<instruction> code;
    std::vector<char_class> classes;
    /// True for a pattern that excludes, false for a negated ("!") one that re-includes.
    bool include = true;

    /// True when the pattern matches `path` (already decoded to code points).
    bool matches(std::u32string_view path) const;
};

/// An ordered list of gitwildmatch patterns, as a pathspec `PathSpec`: a path is matched
/// ("excluded") when the last pattern that matches it is not negated. Empty rules match nothing.
class ignore_rules {
public:
    /// Rules that match nothing.
    ignore_rules() = default;

    /// Compiles one pattern per entry, as Ray compiles a runtime_env `excludes` list. Blank
    /// entries, comments (`#...`) and `/` are no-ops.
    /// @throws client_error 400 naming `origin[index]` for a pattern pathspec itself cannot
    /// compile (a lone `!` or `\`, a bracket range such as `[z-a]`).
    static ignore_rules from_patterns(std::span<const std::string> patterns, std::string_view origin);

    /// Compiles the text of a `.gitignore` or `.rayignore`: one pattern per line, lines ended by
    /// "\n", "\r\n" or "\r" (Python's text mode). The text must be UTF-8.
    /// @throws client_error 400 naming `origin` (and the line) for text that is not UTF-8 or a
    /// pattern that cannot be compiled.
    static ignore_rules from_file_text(std::string_view text, std::string_view origin);

    /// True when the rules exclude `path`: relative to the rules' base directory, '/'-separated,
    /// "." for the base itself. Bytes that are not UTF-8 are matched as Python matches the
    /// surrogate-escaped name.
    bool matches(std::string_view path) const;
    /// As `matches`, for a path already decoded with `decode_utf8_surrogateescape`.
    bool matches(std::u32string_view path) const;

    /// True when no pattern has an effect.
    bool empty() const noexcept { return patterns_.empty(); }
    /// The compiled patterns with an effect, in order (for tests and fuzzing).
    const std::vector<wildmatch_pattern>& patterns() const noexcept { return patterns_; }

private:
    std::vector<wildmatch_pattern> patterns_;
};

}  // namespace raycl::core
