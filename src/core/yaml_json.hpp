// YAML <-> JSON: YAML text read into a boost::json::value, and a JSON value written as YAML that
// reads back to the same value. Pure code (yaml-cpp's parser, no I/O). Used for the CLI's config
// file and `--output yaml`, and meant for every YAML input of the SDK (runtime-env files, conda
// environment files, Serve configs).
//
// Reading follows the YAML 1.2 core schema: plain `true`/`false`, `null`/`~`/empty, decimal,
// `0x` and `0o` integers and floats are typed; everything quoted, block scalars and every other
// plain scalar are strings (`yes`, `on`, `1.2.3`, `2024-01-01` stay strings: YAML 1.2, not the
// 1.1 rules PyYAML applies). Explicit `!!str`, `!!int`, `!!float`, `!!bool`, `!!null`, `!!map`,
// `!!seq` tags are honoured; other tags are refused. Aliases are expanded. Key order is kept.
//
// Writing emits block YAML whose scalars read back with the same JSON kind under both YAML 1.2
// and YAML 1.1 readers: a string that could read as anything else is quoted (`"1"`, `"yes"`,
// `"null"`, `"0x1f"`), doubles keep a fraction or exponent, multi-line strings become literal
// blocks. Strings must be valid UTF-8 to round-trip (invalid bytes become U+FFFD).
#pragma once

#include <boost/json/value.hpp>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace raycl::core {

/// Where a value starts in YAML text, 1-based.
struct yaml_position {
    std::size_t line = 0;    ///< 1 for the first line
    std::size_t column = 0;  ///< 1 for the first column
};

/// A YAML document read as JSON, with the position of every value (not of nulls, whose
/// position yaml-cpp does not keep).
struct yaml_document {
    boost::json::value value;
    /// By JSON Pointer (RFC 6901): "" for the root, "/contexts/prod/address", "/items/0".
    std::map<std::string, yaml_position> positions;

    /// The position of the value at `pointer`, else of its closest ancestor that has one.
    std::optional<yaml_position> position_of(std::string_view pointer) const;
};

/// Limits of one load.
struct yaml_limits {
    std::size_t max_nodes = 1'000'000;  ///< nodes after alias expansion ("billion laughs")
    std::size_t max_depth = 256;        ///< nesting of sequences and mappings
};

/// Reads one YAML document. Empty text (or only comments) is null.
/// @throws client_error 400 `"<source>: line L, column C: <problem>"` for a syntax error, a
/// duplicate key, a key that is not a scalar, more than one document, an unsupported tag, a
/// typed scalar that does not fit its tag, `.inf`/`.nan` (JSON has neither), or exceeded limits.
yaml_document load_yaml_document(std::string_view text, std::string_view source = "YAML", yaml_limits limits = {});

/// load_yaml_document(text, source).value, without recording positions.
boost::json::value load_yaml(std::string_view text, std::string_view source = "YAML", yaml_limits limits = {});

/// `value` as a block YAML document ending in a newline; `load_yaml(to_yaml(v)) == v`.
std::string to_yaml(const boost::json::value& value);

/// JSON Pointer escaping of one reference token ("~" -> "~0", "/" -> "~1").
std::string json_pointer_token(std::string_view key);

}  // namespace raycl::core
