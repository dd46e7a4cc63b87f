// Fuzzes the gitwildmatch matcher (core/ignore_rules). Input: one control byte, then
// "<ignore file text>\0<path>\0<path>...".
// Checked: compiling never crashes and fails only with a 400 naming the file and line; every
// compiled program is checked against an independent backtracking matcher (memoised, on small
// inputs), so the Pike VM accepts exactly what the regular expression pathspec builds accepts;
// ignore_rules applies "the last matching pattern decides"; the same patterns given as a list
// (runtime_env excludes) behave as the file; matching bytes and matching their decoded code
// points agree.
#include "fuzz_support.hpp"

#include "core/ignore_rules.hpp"
#include "core/utf8.hpp"

#include <raycl/error.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace raycl;
using core::wildmatch_pattern;

namespace {

// The reference semantics of a program: does some path from (pc, pos) reach `match`?
class backtracking_matcher {
public:
    backtracking_matcher(const wildmatch_pattern& pattern, std::u32string_view text)
        : pattern_(pattern), text_(text), memo_(pattern.code.size() * (text.size() + 1), unknown) {}

    bool run() { return from(0, 0, 0); }

private:
    static constexpr char unknown = 2, visiting = 3;

    bool from(std::uint32_t pc, std::size_t pos, int depth) {
        RAYCL_FUZZ_CHECK(depth < 100000);
        char& memo = memo_[pc * (text_.size() + 1) + pos];
        if (memo == visiting) return false;  // an empty loop: no progress, no match
        if (memo != unknown) return memo == 1;
        memo = visiting;
        const auto& in = pattern_.code[pc];
        bool result = false;
        const bool more = pos < text_.size();
        switch (in.kind) {
            case wildmatch_pattern::op::literal:
                result = more && text_[pos] == in.value && from(pc + 1, pos + 1, depth + 1);
                break;
            case wildmatch_pattern::op::any_but_slash:
                result = more && text_[pos] != U'/' && from(pc + 1, pos + 1, depth + 1);
                break;
            case wildmatch_pattern::op::any_but_newline:
                result = more && text_[pos] != U'\n' && from(pc + 1, pos + 1, depth + 1);
                break;
            case wildmatch_pattern::op::char_class:
                result = more && pattern_.classes[in.value].contains(text_[pos]) && from(pc + 1, pos + 1, depth + 1);
                break;
            case wildmatch_pattern::op::split:
                result = from(in.next, pos, depth + 1) || from(in.other, pos, depth + 1);
                break;
            case wildmatch_pattern::op::jump:
                result = from(in.next, pos, depth + 1);
                break;
            case wildmatch_pattern::op::end_of_text:
                result = (pos == text_.size() || (pos + 1 == text_.size() && text_[pos] == U'\n')) &&
                         from(pc + 1, pos, depth + 1);
                break;
            case wildmatch_pattern::op::match:
                result = true;
                break;
        }
        memo = result ? 1 : 0;
        return result;
    }

    const wildmatch_pattern& pattern_;
    std::u32string_view text_;
    std::vector<char> memo_;
};

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> out;
    for (;;) {
        const std::size_t at = text.find(separator);
        out.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return out;
        text.remove_prefix(at + 1);
    }
}

std::optional<core::ignore_rules> compile(const std::function<core::ignore_rules()>& build, std::string_view origin) {
    try {
        return build();
    } catch (const client_error& error) {
        RAYCL_FUZZ_CHECK(error.status() == 400);
        RAYCL_FUZZ_CHECK(error.message().starts_with(origin));
        return std::nullopt;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    raycl::fuzz::input_view in(data, size);
    const std::uint8_t control = in.byte();
    const std::vector<std::string_view> parts = split(in.rest(), '\0');
    const std::string_view file_text = parts[0];

    const auto from_file =
        compile([&] { return core::ignore_rules::from_file_text(file_text, ".gitignore"); }, ".gitignore");
    if (!from_file) return 0;
    // The same lines as an excludes list (only when no line holds a lone '\r').
    std::vector<std::string> lines;
    bool plain_lines = file_text.find('\r') == std::string_view::npos;
    for (std::string_view line : split(file_text, '\n')) lines.emplace_back(line);
    const auto from_list =
        plain_lines ? compile([&] { return core::ignore_rules::from_patterns(lines, "runtime_env.excludes"); },
                              "runtime_env.excludes")
                    : std::nullopt;
    if (plain_lines) RAYCL_FUZZ_CHECK(from_list.has_value());

    for (std::size_t i = 1; i < parts.size(); ++i) {
        const std::string_view path = (control & 1) && parts[i].empty() ? std::string_view(".") : parts[i];
        const std::u32string decoded = core::decode_utf8_surrogateescape(path);
        const bool matched = from_file->matches(path);
        RAYCL_FUZZ_CHECK(matched == from_file->matches(std::u32string_view(decoded)));
        if (from_list) RAYCL_FUZZ_CHECK(matched == from_list->matches(path));
        // Last match wins, each pattern checked against the reference matcher.
        std::optional<bool> last;
        const bool small = decoded.size() <= 256;
        for (const wildmatch_pattern& pattern : from_file->patterns()) {
            const bool vm = pattern.matches(decoded);
            if (small && pattern.code.size() <= 2048)
                RAYCL_FUZZ_CHECK(vm == backtracking_matcher(pattern, decoded).run());
            if (vm) last = pattern.include;
        }
        RAYCL_FUZZ_CHECK(matched == last.value_or(false));
    }
    return 0;
}
