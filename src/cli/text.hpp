// Small text helpers of the raycl CLI, in one place (splitting, number and JSON flag values);
// trimming and case come from the project's one copy (core/text.hpp). Pure code.
#pragma once

#include "core/text.hpp"

#include <boost/json/object.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace raycl::cli {

/// A flag or argument value that cannot be used; command_tree turns it into a usage error of
/// the command being parsed.
class invalid_value : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

using core::to_lower;
using core::trim;
/// The lines of `text` without their '\n' (a final newline ends the last line, it does not start
/// an empty one).
std::vector<std::string_view> split_lines(std::string_view text);

/// A finite number; else invalid_value "FLAG needs a number, got 'TEXT'".
double parse_number(const std::string& text, std::string_view flag);
/// A number > 0; else invalid_value.
double parse_positive(const std::string& text, std::string_view flag);
/// A decimal integer; else invalid_value "FLAG needs an integer, got 'TEXT'".
std::int64_t parse_integer(const std::string& text, std::string_view flag);
/// An integer in [low, high]; else invalid_value "FLAG must be in LOW..HIGH".
std::int64_t parse_integer_in(const std::string& text, std::string_view flag, std::int64_t low, std::int64_t high);
/// A JSON object; else invalid_value "FLAG: invalid JSON: ..." / "FLAG needs a JSON object".
boost::json::object parse_json_object(const std::string& text, std::string_view flag);
/// `value` if it is one of `choices`; else invalid_value "FLAG must be a, b or c, got 'x'".
std::string parse_choice(const std::string& value, std::string_view flag, const std::vector<std::string>& choices);
/// "Name: value" as a header (name without spaces, value trimmed); else invalid_value.
std::pair<std::string, std::string> parse_header(const std::string& text, std::string_view flag);
/// "KEY=VALUE" (KEY non-empty); else invalid_value "FLAG needs KEY=VALUE, got '...'".
std::pair<std::string, std::string> parse_key_value(const std::string& text, std::string_view flag);
/// "a, b or c".
std::string join_alternatives(const std::vector<std::string>& words, std::string_view last = " or ");

}  // namespace raycl::cli
