#include "core/json_reader.hpp"

#include <raycl/error.hpp>

#include <charconv>
#include <cmath>
#include <limits>

namespace raycl::core {
namespace json = boost::json;

std::string_view json_kind_name(json::kind kind) noexcept {
    switch (kind) {
        case json::kind::null:
            return "null";
        case json::kind::bool_:
            return "a boolean";
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_:
            return "a number";
        case json::kind::string:
            return "a string";
        case json::kind::array:
            return "an array";
        case json::kind::object:
            return "an object";
    }
    return "an unknown value";
}

void json_protocol_failure(std::string message) {
    throw client_error(error_kind::protocol_error, "unexpected JSON from Ray: " + message);
}

const json::object& json_object_of(const json::value& value, std::string_view what) {
    if (const json::object* object = value.if_object()) return *object;
    json_protocol_failure(std::string(what) + " must be an object, got " + std::string(json_kind_name(value.kind())));
}

std::optional<std::int64_t> json_to_int64(const json::value& value) noexcept {
    switch (value.kind()) {
        case json::kind::int64:
            return value.get_int64();
        case json::kind::uint64:
            if (value.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                return static_cast<std::int64_t>(value.get_uint64());
            return std::nullopt;
        case json::kind::double_: {
            double d = value.get_double();
            // 2^63 is exactly representable; anything at or above it does not fit.
            if (std::isfinite(d) && d >= -9223372036854775808.0 && d < 9223372036854775808.0)
                return static_cast<std::int64_t>(d);
            return std::nullopt;
        }
        case json::kind::string:
            return json_to_int64(std::string_view(value.get_string()));
        default:
            return std::nullopt;
    }
}

std::optional<std::int64_t> json_to_int64(std::string_view text) noexcept {
    std::int64_t parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (!text.empty() && ec == std::errc{} && end == text.data() + text.size()) return parsed;
    return std::nullopt;
}

std::optional<double> json_to_double(const json::value& value) noexcept {
    switch (value.kind()) {
        case json::kind::int64:
            return static_cast<double>(value.get_int64());
        case json::kind::uint64:
            return static_cast<double>(value.get_uint64());
        case json::kind::double_:
            return value.get_double();
        default:
            return std::nullopt;
    }
}

object_reader::object_reader(const json::value& value, std::string_view what)
    : object_(json_object_of(value, what)), what_(what) {}

object_reader::object_reader(const json::object& object, std::string_view what) : object_(object), what_(what) {}

const json::value* object_reader::find(std::string_view key) const noexcept {
    auto it = object_.find(key);
    return it == object_.end() || it->value().is_null() ? nullptr : &it->value();
}

const json::value& object_reader::required(std::string_view key) const {
    if (const json::value* value = find(key)) return *value;
    fail(key, "is missing");
}

std::optional<std::string> object_reader::optional_string(std::string_view key) const {
    const json::value* value = find(key);
    if (!value) return std::nullopt;
    if (!value->is_string()) wrong_type(key, "a string", *value);
    return std::string(value->get_string());
}

std::string object_reader::required_string(std::string_view key) const {
    required(key);
    return *optional_string(key);
}

std::optional<std::int64_t> object_reader::optional_int(std::string_view key) const {
    const json::value* value = find(key);
    if (!value) return std::nullopt;
    if (auto number = json_to_int64(*value)) return number;
    wrong_type(key, "an integer", *value);
}

std::optional<double> object_reader::optional_number(std::string_view key) const {
    const json::value* value = find(key);
    if (!value) return std::nullopt;
    if (auto number = json_to_double(*value)) return number;
    wrong_type(key, "a number", *value);
}

std::optional<bool> object_reader::optional_bool(std::string_view key) const {
    const json::value* value = find(key);
    if (!value) return std::nullopt;
    if (!value->is_bool()) wrong_type(key, "a boolean", *value);
    return value->get_bool();
}

bool object_reader::required_bool(std::string_view key) const {
    required(key);
    return *optional_bool(key);
}

const json::object* object_reader::object_field(std::string_view key) const {
    const json::value* value = find(key);
    if (!value) return nullptr;
    if (!value->is_object()) wrong_type(key, "an object", *value);
    return &value->get_object();
}

const json::array* object_reader::array_field(std::string_view key) const {
    const json::value* value = find(key);
    if (!value) return nullptr;
    if (!value->is_array()) wrong_type(key, "an array", *value);
    return &value->get_array();
}

std::map<std::string, std::string> object_reader::string_map(std::string_view key) const {
    std::map<std::string, std::string> out;
    if (const json::object* map = object_field(key)) {
        for (const auto& entry : *map) {
            if (!entry.value().is_string()) wrong_type(key, "an object of strings", entry.value());
            out.emplace(entry.key(), entry.value().get_string());
        }
    }
    return out;
}

std::map<std::string, double> object_reader::number_map(std::string_view key) const {
    std::map<std::string, double> out;
    if (const json::object* map = object_field(key)) {
        for (const auto& entry : *map) {
            auto number = json_to_double(entry.value());
            if (!number) wrong_type(key, "an object of numbers", entry.value());
            out.emplace(entry.key(), *number);
        }
    }
    return out;
}

std::map<std::string, std::int64_t> object_reader::int_map(std::string_view key) const {
    std::map<std::string, std::int64_t> out;
    if (const json::object* map = object_field(key)) {
        for (const auto& entry : *map) {
            auto number = json_to_int64(entry.value());
            if (!number) wrong_type(key, "an object of integers", entry.value());
            out.emplace(entry.key(), *number);
        }
    }
    return out;
}

std::vector<std::string> object_reader::string_list(std::string_view key) const {
    std::vector<std::string> out;
    if (const json::array* list = array_field(key)) {
        for (const json::value& item : *list) {
            if (!item.is_string()) wrong_type(key, "an array of strings", item);
            out.emplace_back(item.get_string());
        }
    }
    return out;
}

void object_reader::fail(std::string_view key, std::string_view problem) const {
    json_protocol_failure("field '" + std::string(key) + "' of " + what_ + " " + std::string(problem));
}

void object_reader::wrong_type(std::string_view key, std::string_view expected, const json::value& got) const {
    fail(key, "must be " + std::string(expected) + ", got " + std::string(json_kind_name(got.kind())));
}

}  // namespace raycl::core
