#include "core/ignore_rules.hpp"

#include "core/sanitize.hpp"
#include "core/utf8.hpp"

#include <raycl/error.hpp>

#include <algorithm>
#include <optional>
#include <stdexcept>

namespace raycl::core {
namespace {

using op = wildmatch_pattern::op;

// Why pathspec (or Python's re.compile) would fail on a pattern.
struct pattern_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Emits the program of one pattern, following GitWildMatchPattern.pattern_to_regex.
class pattern_compiler {
public:
    explicit pattern_compiler(bool include) { pattern_.include = include; }

    wildmatch_pattern finish() && {
        emit(op::end_of_text);
        emit(op::match);
        return std::move(pattern_);
    }

    void literal(char32_t c) { emit(op::literal, c); }
    // `.+`
    void dot_plus() { one_or_more(op::any_but_newline); }
    // `.*`
    void dot_star() { zero_or_more(op::any_but_newline); }
    // `[^/]+`
    void not_slash_plus() { one_or_more(op::any_but_slash); }
    // `(?:<body>)?`
    template <class Body>
    void optional(Body body) {
        const std::uint32_t split = emit(op::split);
        body();
        pattern_.code[split].next = split + 1;
        pattern_.code[split].other = size();
    }

    // _translate_segment_glob: one path segment of a pattern.
    void segment_glob(std::u32string_view glob) {
        bool escape = false;
        for (std::size_t i = 0; i < glob.size();) {
            const char32_t c = glob[i++];
            if (escape) {
                escape = false;
                literal(c);
            } else if (c == U'\\') {
                escape = true;
            } else if (c == U'*') {
                zero_or_more(op::any_but_slash);
            } else if (c == U'?') {
                emit(op::any_but_slash);
            } else if (c == U'[') {
                i = bracket(glob, i);
            } else {
                literal(c);
            }
        }
    }

private:
    std::uint32_t size() const { return static_cast<std::uint32_t>(pattern_.code.size()); }

    std::uint32_t emit(op kind, char32_t value = 0) {
        pattern_.code.push_back({kind, value, 0, 0});
        return size() - 1;
    }

    void one_or_more(op item) {
        const std::uint32_t start = emit(item);
        const std::uint32_t split = emit(op::split);
        pattern_.code[split].next = start;
        pattern_.code[split].other = split + 1;
    }

    void zero_or_more(op item) {
        const std::uint32_t split = emit(op::split);
        emit(item);
        const std::uint32_t back = emit(op::jump);
        pattern_.code[back].next = split;
        pattern_.code[split].next = split + 1;
        pattern_.code[split].other = size();
    }

    // A bracket expression starting after the '[' at glob[i - 1]. pathspec finds its end (a
    // leading '!' and a leading ']' do not end it) and hands the rest to Python's regex parser,
    // with '!' turned into '^', a leading '^' escaped and every backslash doubled (so literal).
    // Without a closing ']' the '[' is a literal. Returns where the glob continues.
    std::size_t bracket(std::u32string_view glob, std::size_t i) {
        std::size_t j = i;
        if (j < glob.size() && glob[j] == U'!') ++j;
        if (j < glob.size() && glob[j] == U']') ++j;
        while (j < glob.size() && glob[j] != U']') ++j;
        if (j >= glob.size()) {
            literal(U'[');
            return i;
        }
        ++j;  // one past the closing ']'
        wildmatch_pattern::char_class set;
        std::u32string items;
        if (glob[i] == U'!') {
            set.negated = true;
            ++i;
        } else if (glob[i] == U'^') {
            items.push_back(U'^');  // escaped by pathspec: a literal that may start a range
            ++i;
        }
        items.append(glob.substr(i, j - i));
        parse_python_set(items, set);
        pattern_.classes.push_back(std::move(set));
        emit(op::char_class, static_cast<char32_t>(pattern_.classes.size() - 1));
        return j;
    }

    // sre_parse's loop over a set after "[" (and "^"): items up to and including the closing ']'.
    static void parse_python_set(std::u32string_view items, wildmatch_pattern::char_class& set) {
        std::size_t k = 0;
        auto next = [&]() -> char32_t {
            if (k >= items.size()) throw pattern_error("unterminated character set");
            return items[k++];
        };
        while (true) {
            const char32_t first = next();
            if (first == U']' && !set.ranges.empty()) break;
            if (k < items.size() && items[k] == U'-') {
                ++k;
                const char32_t last = next();
                if (last == U']') {
                    set.ranges.emplace_back(first, first);
                    set.ranges.emplace_back(U'-', U'-');
                    break;
                }
                if (last < first)
                    throw pattern_error("bad character range " + encode_utf8(std::u32string{first, U'-', last}));
                set.ranges.emplace_back(first, last);
            } else {
                set.ranges.emplace_back(first, first);
            }
        }
        // pathspec's end is the first ']' after the leading ones, so Python ends there too.
        if (k != items.size()) throw pattern_error("bracket expression ends early");
    }

    wildmatch_pattern pattern_;
};

std::vector<std::u32string> split_segments(std::u32string_view pattern) {
    std::vector<std::u32string> segments;
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = pattern.find(U'/', start);
        segments.emplace_back(pattern.substr(start, slash == std::u32string_view::npos ? slash : slash - start));
        if (slash == std::u32string_view::npos) return segments;
        start = slash + 1;
    }
}

// GitWildMatchPattern.pattern_to_regex; nullopt for a pattern with no effect.
std::optional<wildmatch_pattern> compile_pattern(std::u32string_view text) {
    std::u32string_view pattern = strip_python_whitespace(text);
    if (pattern.empty() || pattern.front() == U'#' || pattern == U"/") return std::nullopt;
    bool include = true;
    if (pattern.front() == U'!') {
        include = false;
        pattern.remove_prefix(1);
    }
    if (!pattern.empty() && pattern.front() == U'\\') pattern.remove_prefix(1);

    std::vector<std::u32string> segments = split_segments(pattern);
    if (segments.front().empty()) {
        // Anchored: "/x" matches only at the base.
        segments.erase(segments.begin());
    } else if (segments.size() == 1 || (segments.size() == 2 && segments[1].empty())) {
        // A single name (also "name/") matches at any depth.
        if (segments.front() != U"**") segments.insert(segments.begin(), U"**");
    }
    // pathspec indexes the last segment here and raises IndexError for "!" and "\".
    if (segments.empty()) throw pattern_error("pattern is empty after its '!' or '\\' prefix");
    if (segments.back().empty() && segments.size() > 1) segments.back() = U"**";

    pattern_compiler out(include);
    bool need_slash = false;
    const std::size_t end = segments.size() - 1;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const std::u32string& segment = segments[i];
        if (segment == U"**") {
            if (i == 0 && i == end) {
                out.dot_plus();
            } else if (i == 0) {
                out.optional([&] {
                    out.dot_plus();
                    out.literal(U'/');
                });
                need_slash = false;
            } else if (i == end) {
                out.literal(U'/');
                out.dot_star();
            } else {
                out.optional([&] {
                    out.literal(U'/');
                    out.dot_plus();
                });
                need_slash = true;
            }
        } else if (segment == U"*") {
            if (need_slash) out.literal(U'/');
            out.not_slash_plus();
            need_slash = true;
        } else {
            if (need_slash) out.literal(U'/');
            out.segment_glob(segment);
            if (i == end && include) {
                // "foo" also matches everything under a directory foo (not so for "!foo").
                out.optional([&] {
                    out.literal(U'/');
                    out.dot_star();
                });
            }
            need_slash = true;
        }
    }
    return std::move(out).finish();
}

[[noreturn]] void reject_pattern(std::string_view where, const pattern_error& error) {
    throw client_error(error_kind::invalid_argument,
                       sanitize(std::string(where) + ": invalid pattern (" + error.what() + ")"));
}

}  // namespace

bool wildmatch_pattern::char_class::contains(char32_t c) const noexcept {
    const bool in =
        std::any_of(ranges.begin(), ranges.end(), [c](const auto& r) { return c >= r.first && c <= r.second; });
    return in != negated;
}

bool wildmatch_pattern::matches(std::u32string_view path) const {
    // Pike VM: the set of live instructions advances one code point at a time, so the cost is
    // linear in path length times program size whatever the pattern (no backtracking).
    const std::size_t n = path.size();
    std::vector<std::uint32_t> current, following, stack;
    std::vector<std::size_t> seen(code.size(), static_cast<std::size_t>(-1));
    bool matched = false;
    // Adds `pc` and everything reachable from it without consuming input at position `pos`.
    auto add = [&](std::vector<std::uint32_t>& list, std::uint32_t start, std::size_t pos) {
        stack.push_back(start);
        while (!stack.empty()) {
            const std::uint32_t pc = stack.back();
            stack.pop_back();
            if (seen[pc] == pos) continue;
            seen[pc] = pos;
            const instruction& in = code[pc];
            switch (in.kind) {
                case op::jump:
                    stack.push_back(in.next);
                    break;
                case op::split:
                    stack.push_back(in.other);
                    stack.push_back(in.next);
                    break;
                case op::end_of_text:
                    if (pos == n || (pos + 1 == n && path[pos] == U'\n')) stack.push_back(pc + 1);
                    break;
                case op::match:
                    matched = true;
                    break;
                default:
                    list.push_back(pc);
            }
        }
    };
    add(current, 0, 0);
    for (std::size_t pos = 0; pos < n && !matched && !current.empty(); ++pos) {
        following.clear();
        const char32_t c = path[pos];
        for (std::uint32_t pc : current) {
            const instruction& in = code[pc];
            const bool accepts = (in.kind == op::literal && c == in.value) ||
                                 (in.kind == op::any_but_slash && c != U'/') ||
                                 (in.kind == op::any_but_newline && c != U'\n') ||
                                 (in.kind == op::char_class && classes[in.value].contains(c));
            if (accepts) add(following, pc + 1, pos + 1);
        }
        current.swap(following);
    }
    return matched;
}

ignore_rules ignore_rules::from_patterns(std::span<const std::string> patterns, std::string_view origin) {
    ignore_rules rules;
    for (std::size_t i = 0; i < patterns.size(); ++i) {
        try {
            if (auto compiled = compile_pattern(decode_utf8_surrogateescape(patterns[i])))
                rules.patterns_.push_back(std::move(*compiled));
        } catch (const pattern_error& error) {
            reject_pattern(std::string(origin) + "[" + std::to_string(i) + "]", error);
        }
    }
    return rules;
}

ignore_rules ignore_rules::from_file_text(std::string_view text, std::string_view origin) {
    if (!is_valid_utf8(text))
        throw client_error(error_kind::invalid_argument, sanitize(std::string(origin) + " is not valid UTF-8"));
    const std::u32string decoded = decode_utf8_surrogateescape(text);
    ignore_rules rules;
    std::size_t line_number = 1;
    for (std::size_t start = 0; start < decoded.size(); ++line_number) {
        std::size_t end = decoded.find_first_of(U"\r\n", start);
        if (end == std::u32string::npos) end = decoded.size();
        try {
            if (auto compiled = compile_pattern(std::u32string_view(decoded).substr(start, end - start)))
                rules.patterns_.push_back(std::move(*compiled));
        } catch (const pattern_error& error) {
            reject_pattern(std::string(origin) + " line " + std::to_string(line_number), error);
        }
        // Past one line end: "\r\n", "\r" or "\n".
        const bool crlf = end + 1 < decoded.size() && decoded[end] == U'\r' && decoded[end + 1] == U'\n';
        start = end + (crlf ? 2 : 1);
    }
    return rules;
}

bool ignore_rules::matches(std::string_view path) const {
    if (patterns_.empty()) return false;
    return matches(decode_utf8_surrogateescape(path));
}

bool ignore_rules::matches(std::u32string_view path) const {
    bool matched = false;
    for (const wildmatch_pattern& pattern : patterns_)
        if (pattern.matches(path)) matched = pattern.include;
    return matched;
}

}  // namespace raycl::core
