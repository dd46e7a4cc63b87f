// Text helpers of the raycl CLI (see text.hpp).
#include "text.hpp"

#include <boost/json/parse.hpp>

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace raycl::cli {

std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    for (std::size_t start = 0; start < text.size();) {
        auto end = text.find('\n', start);
        if (end == std::string_view::npos) end = text.size();
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

double parse_number(const std::string& text, std::string_view flag) {
    char* end = nullptr;
    errno = 0;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || end != text.c_str() + text.size() || errno != 0 || !std::isfinite(value))
        throw invalid_value(std::string(flag) + " needs a number, got '" + text + "'");
    return value;
}

double parse_positive(const std::string& text, std::string_view flag) {
    const double value = parse_number(text, flag);
    if (value <= 0) throw invalid_value(std::string(flag) + " must be > 0");
    return value;
}

std::int64_t parse_integer(const std::string& text, std::string_view flag) {
    char* end = nullptr;
    errno = 0;
    const long long value = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || end != text.c_str() + text.size() || errno != 0)
        throw invalid_value(std::string(flag) + " needs an integer, got '" + text + "'");
    return value;
}

std::int64_t parse_integer_in(const std::string& text, std::string_view flag, std::int64_t low, std::int64_t high) {
    const auto value = parse_integer(text, flag);
    if (value < low || value > high)
        throw invalid_value(std::string(flag) + " must be in " + std::to_string(low) + ".." + std::to_string(high));
    return value;
}

boost::json::object parse_json_object(const std::string& text, std::string_view flag) {
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec);
    if (ec) throw invalid_value(std::string(flag) + ": invalid JSON: " + ec.message());
    if (!value.is_object()) throw invalid_value(std::string(flag) + " needs a JSON object");
    return std::move(value.as_object());
}

std::string join_alternatives(const std::vector<std::string>& words, std::string_view last) {
    std::string out;
    for (std::size_t i = 0; i < words.size(); ++i) {
        if (i > 0) out += i + 1 == words.size() ? std::string(last) : std::string(", ");
        out += words[i];
    }
    return out;
}

std::string parse_choice(const std::string& value, std::string_view flag, const std::vector<std::string>& choices) {
    for (const auto& choice : choices) {
        if (value == choice) return value;
    }
    throw invalid_value(std::string(flag) + " must be " + join_alternatives(choices) + ", got '" + value + "'");
}

std::pair<std::string, std::string> parse_header(const std::string& text, std::string_view flag) {
    const auto colon = text.find(':');
    const std::string_view name =
        colon == std::string::npos ? std::string_view() : trim(std::string_view(text).substr(0, colon));
    if (name.empty() || name.find_first_of(" \t") != std::string_view::npos)
        throw invalid_value(std::string(flag) + " needs 'Name: value'");
    return {std::string(name), std::string(trim(std::string_view(text).substr(colon + 1)))};
}

std::pair<std::string, std::string> parse_key_value(const std::string& text, std::string_view flag) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        throw invalid_value(std::string(flag) + " needs KEY=VALUE, got '" + text + "'");
    return {text.substr(0, eq), text.substr(eq + 1)};
}

}  // namespace raycl::cli
