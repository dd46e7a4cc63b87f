// Reading Ray's JSON payloads field by field (pure), shared by the decoders of
// core/models_json.cpp and core/state_json.cpp. Every error is a client_error protocol_error
// (500) naming the field and the object; missing and null are the same; unknown keys are ignored.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace raycl::core {

/// "a string", "an object", ... for messages.
std::string_view json_kind_name(boost::json::kind kind) noexcept;

/// Throws client_error protocol_error "unexpected JSON from Ray: <message>".
[[noreturn]] void json_protocol_failure(std::string message);

/// `value` as an object, else a protocol error naming `what`.
const boost::json::object& json_object_of(const boost::json::value& value, std::string_view what);

/// An integer from int64, uint64 (<= INT64_MAX), a finite double in range, or a decimal string
/// (Ray sends protobuf int64 fields as strings); nullopt otherwise.
std::optional<std::int64_t> json_to_int64(const boost::json::value& value) noexcept;

/// A decimal string as an integer (json_to_int64's rule for strings); nullopt otherwise.
std::optional<std::int64_t> json_to_int64(std::string_view text) noexcept;

/// A number from any JSON number kind; nullopt otherwise.
std::optional<double> json_to_double(const boost::json::value& value) noexcept;

/// Reads the fields of one JSON object; every error names the field and the object.
class object_reader {
public:
    object_reader(const boost::json::value& value, std::string_view what);
    object_reader(const boost::json::object& object, std::string_view what);
    // The reader keeps a reference: no temporaries (a json::object converted to a value).
    object_reader(boost::json::value&&, std::string_view) = delete;
    object_reader(boost::json::object&&, std::string_view) = delete;

    const boost::json::object& object() const noexcept { return object_; }

    /// The field, or nullptr when missing or null.
    const boost::json::value* find(std::string_view key) const noexcept;
    const boost::json::value& required(std::string_view key) const;

    std::optional<std::string> optional_string(std::string_view key) const;
    std::string string_or_empty(std::string_view key) const { return optional_string(key).value_or(""); }
    std::string required_string(std::string_view key) const;
    std::optional<std::int64_t> optional_int(std::string_view key) const;
    std::optional<double> optional_number(std::string_view key) const;
    std::optional<bool> optional_bool(std::string_view key) const;
    bool required_bool(std::string_view key) const;
    const boost::json::object* object_field(std::string_view key) const;
    const boost::json::array* array_field(std::string_view key) const;
    std::map<std::string, std::string> string_map(std::string_view key) const;
    std::map<std::string, double> number_map(std::string_view key) const;
    /// An object of integers (counts, e.g. {"FINISHED": 3}).
    std::map<std::string, std::int64_t> int_map(std::string_view key) const;
    std::vector<std::string> string_list(std::string_view key) const;

    [[noreturn]] void fail(std::string_view key, std::string_view problem) const;

private:
    [[noreturn]] void wrong_type(std::string_view key, std::string_view expected, const boost::json::value& got) const;

    const boost::json::object& object_;
    std::string what_;
};

}  // namespace raycl::core
