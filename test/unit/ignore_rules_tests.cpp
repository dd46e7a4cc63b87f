// The gitwildmatch matcher. Every row of the tables was checked against Ray 2.60's vendored
// pathspec 0.8.1 (ray._private.thirdparty.pathspec, PathSpec.from_lines("gitwildmatch", ...)
// .match_file(path)) in the project's Ray venv; rows marked "subtle" are where git itself or a
// naive reading of the gitignore docs would answer differently.
#include "core/ignore_rules.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

using namespace raycl;
using raycl::core::ignore_rules;
using raycl::test::contains;
using raycl::test::expect_client_error;

namespace {

struct match_case {
    std::vector<std::string> patterns;
    std::string path;
    bool excluded;
};

bool excluded(const std::vector<std::string>& patterns, std::string_view path) {
    return ignore_rules::from_patterns(patterns, "runtime_env.excludes").matches(path);
}

void check_table(const std::vector<match_case>& table) {
    for (const match_case& row : table) {
        std::string patterns;
        for (const auto& p : row.patterns) patterns += "[" + p + "]";
        BOOST_TEST_CONTEXT("patterns " << patterns << " path [" << row.path << "]") {
            BOOST_TEST(excluded(row.patterns, row.path) == row.excluded);
        }
    }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(ignore_rules_tests)

BOOST_AUTO_TEST_CASE(names_anchoring_and_depth) {
    check_table({
        {{"sub"}, "sub", true},
        {{"sub"}, "a/sub", true},
        {{"sub"}, "sub/x", true},
        {{"sub"}, "subx", false},
        {{"/sub"}, "sub", true},
        {{"/sub"}, "a/sub", false},
        {{"/sub"}, "sub/b", true},
        {{"*.txt"}, "a.txt", true},
        {{"*.txt"}, "d/a.txt", true},
        {{"*.txt"}, ".", false},
        {{"sub/*.txt"}, "sub/a.txt", true},
        {{"sub/*.txt"}, "x/sub/a.txt", false},  // a pattern with a slash is anchored
        {{"sub/*.txt"}, "sub/d/a.txt", false},
        {{".git"}, "a/.git/x", true},
        {{".git"}, ".github", false},
        {{"a/*"}, "a", false},
        {{"a/*"}, "a/b/c", false},  // subtle: "*" as last segment has no "(/.*)?" tail
        {{"//"}, "a", false},
        {{"/"}, "a", false},
        {{""}, "a", false},
    });
}

BOOST_AUTO_TEST_CASE(trailing_slash_matches_only_what_is_below) {
    check_table({
        // subtle: "sub/" does not match the directory node itself, only its children, so Ray
        // still hashes the directory name "sub".
        {{"sub/"}, "sub", false},
        {{"sub/"}, "sub/b.txt", true},
        {{"sub/"}, "a/sub/b", true},
        {{"sub/"}, "a/sub", false},
        {{"a/b/"}, "a/b", false},
        {{"a/b/"}, "a/b/c", true},
        {{"**/"}, "a", false},
        {{"**/"}, "a/b", false},
    });
}

BOOST_AUTO_TEST_CASE(double_star) {
    check_table({
        {{"*"}, ".", true},  // the root itself: everything is excluded
        {{"**"}, ".", true},
        {{"*"}, "a/b", true},
        {{"**"}, "a/b", true},
        {{"a/**/b"}, "a/b", true},
        {{"a/**/b"}, "a/x/y/b", true},
        {{"a/**/b"}, "a/xb", false},
        {{"a/**"}, "a", false},
        {{"a/**"}, "a/x", true},
        {{"**/a"}, "a", true},
        {{"**/a"}, "x/a", true},
        {{"**/a/**"}, "x/a/y", true},
    });
}

BOOST_AUTO_TEST_CASE(negation_last_match_wins) {
    check_table({
        {{"*.txt", "!a.txt"}, "a.txt", false},
        {{"*.txt", "!a.txt"}, "b.txt", true},
        {{"!a.txt", "*.txt"}, "a.txt", true},
        {{"!a/"}, "a/b", false},
        {{"*.txt", "!/a/*.txt"}, "a/b.txt", false},
    });
}

BOOST_AUTO_TEST_CASE(wildcards_and_character_classes) {
    check_table({
        {{"a?c"}, "abc", true},
        {{"a?c"}, "a/c", false},
        {{"a*c"}, "a/c", false},
        {{"[abc].txt"}, "b.txt", true},
        {{"[!abc].txt"}, "b.txt", false},
        {{"[!abc].txt"}, "d.txt", true},
        {{"[a-c]"}, "b", true},
        {{"[]]"}, "]", true},
        {{"[]-]"}, "-", true},
        {{"[!]]"}, "a", true},
        {{"[^a]"}, "^", true},   // subtle: '^' is escaped, not a negation
        {{"[^a]"}, "b", false},  // subtle
        {{"[!]"}, "[!]", true},  // no closing bracket: literal
        {{"[a-]"}, "-", true},
        {{"["}, "[", true},
        {{"a[b"}, "a[b", true},
        {{"[\\]]"}, "\\]", true},  // subtle: a backslash inside brackets is a literal
        {{"[a-c-e]"}, "-", true},
        {{"[a-c-e]"}, "d", false},
        {{"[--0]"}, "/", true},     // subtle: a class can match '/'
        {{"[!a-c]x"}, "/x", true},  // subtle
    });
}

BOOST_AUTO_TEST_CASE(escapes_comments_and_spaces) {
    check_table({
        {{"\\#a"}, "#a", true},
        {{"#a"}, "#a", false},
        {{"\\!a"}, "!a", true},
        {{"a\\*c"}, "a*c", true},
        {{"a\\*c"}, "abc", false},
        {{"foo "}, "foo", true},
        {{"foo\\ "}, "foo", true},    // subtle: pathspec strips before it unescapes (git keeps "foo ")
        {{"foo\\ "}, "foo ", false},  // subtle
        {{"  foo"}, "foo", true},
        {{"a\\"}, "a", true},  // a trailing lone backslash is dropped
    });
}

BOOST_AUTO_TEST_CASE(non_ascii_is_matched_by_code_point) {
    check_table({
        {{"\xC3\xA9"}, "\xC3\xA9", true},
        {{"?"}, "\xC3\xA9", true},  // one code point, two bytes
        {{"[\xC3\xA9]"}, "\xC3\xA9", true},
        {{"?"}, "\xFF", true},  // a byte that is not UTF-8 is one (surrogate-escaped) character
        {{"[!a]"}, "\xFF", true},
        {{"?"}, "\xE2\x82", false},  // two invalid bytes are two characters
    });
}

BOOST_AUTO_TEST_CASE(newlines_follow_python_regex_semantics) {
    check_table({
        {{"foo"}, "foo\n", true},  // subtle: `$` also matches before a final newline
        {{"**"}, "a\nb", false},   // subtle: `.` does not match a newline
        {{"*"}, "a\nb", true},     // `[^/]` does
        {{"a/"}, "a/b\n", true},
    });
}

BOOST_AUTO_TEST_CASE(patterns_pathspec_cannot_compile_are_400_naming_the_entry) {
    for (const std::string& bad : {std::string("!"), std::string("\\"), std::string("!\\"), std::string("[z-a]")}) {
        BOOST_TEST_CONTEXT("pattern " << bad) {
            const std::vector<std::string> patterns{"ok", bad};
            client_error error = expect_client_error(
                error_kind::invalid_argument, [&] { ignore_rules::from_patterns(patterns, "runtime_env.excludes"); });
            BOOST_TEST(contains(error.message(), "runtime_env.excludes[1]"));
        }
    }
}

BOOST_AUTO_TEST_CASE(file_text_lines_end_like_python_text_mode) {
    const ignore_rules rules =
        ignore_rules::from_file_text("# comment\r\n*.log\r/build\n\n  \n!keep.log\n", ".gitignore");
    BOOST_TEST(rules.matches("debug.log"));
    BOOST_TEST(rules.matches("a/debug.log"));
    BOOST_TEST(!rules.matches("keep.log"));
    BOOST_TEST(rules.matches("build"));
    BOOST_TEST(!rules.matches("a/build"));
    BOOST_TEST(!rules.matches("# comment"));
    // A byte-order mark is part of the first pattern, as Python's "utf-8" codec keeps it.
    BOOST_TEST(!ignore_rules::from_file_text("\xEF\xBB\xBF*.log\n", ".gitignore").matches("a.log"));
    BOOST_TEST(ignore_rules().empty());
    BOOST_TEST(!ignore_rules().matches("anything"));
}

BOOST_AUTO_TEST_CASE(file_text_errors_name_the_file_and_line) {
    client_error not_utf8 = expect_client_error(error_kind::invalid_argument,
                                                [] { ignore_rules::from_file_text("a\n\xFF\n", "sub/.rayignore"); });
    BOOST_TEST(contains(not_utf8.message(), "sub/.rayignore is not valid UTF-8"));
    client_error bad_line = expect_client_error(
        error_kind::invalid_argument, [] { ignore_rules::from_file_text("a\r\nb\r\n[z-a]\n", ".gitignore"); });
    BOOST_TEST(contains(bad_line.message(), ".gitignore line 3"));
}

BOOST_AUTO_TEST_CASE(matching_is_linear_for_pathological_patterns) {
    // A backtracking matcher takes exponential time on this; the VM answers at once.
    const std::vector<std::string> patterns{"/" + std::string(30, '*') + "/**/**/**/**/**/**/**/**/x"};
    BOOST_TEST(!excluded(patterns, std::string(200, 'a') + "/" + std::string(200, 'b')));
}

BOOST_AUTO_TEST_SUITE_END()
