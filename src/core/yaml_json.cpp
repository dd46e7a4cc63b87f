// YAML <-> JSON (see yaml_json.hpp).
#include "core/yaml_json.hpp"

#include "core/sanitize.hpp"
#include "core/utf8.hpp"

#include <raycl/error.hpp>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>

namespace raycl::core {
namespace {

namespace json = boost::json;

constexpr std::string_view yaml_tag_prefix = "tag:yaml.org,2002:";

[[noreturn]] void fail(std::string_view source, const YAML::Mark& mark, std::string_view problem) {
    std::string message(source);
    if (!mark.is_null()) {
        message += ": line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1);
    }
    message += ": ";
    message += problem;
    throw client_error(error_kind::invalid_argument, sanitize(message));
}

bool is_digits(std::string_view text, std::string_view alphabet) {
    return !text.empty() && text.find_first_not_of(alphabet) == std::string_view::npos;
}

/// An integer of the core schema (`[-+]?[0-9]+`, `0o[0-7]+`, `0x[0-9a-fA-F]+`), as int64, else
/// uint64, else double (like boost::json::parse for integers beyond 64 bits).
std::optional<json::value> core_integer(std::string_view text) {
    int base = 10;
    bool negative = false;
    std::string_view digits = text;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'o')) {
        base = text[1] == 'x' ? 16 : 8;
        digits = text.substr(2);
        if (!is_digits(digits, base == 16 ? "0123456789abcdefABCDEF" : "01234567")) return std::nullopt;
    } else {
        if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
            negative = digits[0] == '-';
            digits.remove_prefix(1);
        }
        if (!is_digits(digits, "0123456789")) return std::nullopt;
    }
    std::uint64_t magnitude = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
    if (error == std::errc() && end == digits.data() + digits.size()) {
        constexpr auto int64_max = static_cast<std::uint64_t>(INT64_MAX);
        if (!negative && magnitude <= int64_max) return json::value(static_cast<std::int64_t>(magnitude));
        if (!negative) return json::value(magnitude);
        if (magnitude <= int64_max + 1) return json::value(static_cast<std::int64_t>(0 - magnitude));
    }
    double approximate = 0;
    for (char c : digits) approximate = approximate * base + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    return json::value(negative ? -approximate : approximate);
}

/// A float of the core schema: `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`.
bool is_core_float(std::string_view text) {
    std::size_t i = 0;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    const std::size_t integer_start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    const bool integer_digits = i > integer_start;
    bool fraction_digits = false;
    if (i < text.size() && text[i] == '.') {
        ++i;
        const std::size_t fraction_start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
        fraction_digits = i > fraction_start;
    }
    if (!integer_digits && !fraction_digits) return false;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
        const std::size_t exponent_start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
        if (i == exponent_start) return false;
    }
    return i == text.size();
}

bool is_one_of(std::string_view text, std::initializer_list<std::string_view> words) {
    for (auto word : words) {
        if (text == word) return true;
    }
    return false;
}

bool is_core_infinity_or_nan(std::string_view text) {
    if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
    return is_one_of(text, {".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"});
}

class converter {
public:
    converter(std::string_view source, yaml_limits limits, yaml_document* positions)
        : source_(source), limits_(limits), document_(positions) {}

    json::value convert(const YAML::Node& node, std::string& pointer, std::size_t depth) {
        if (++nodes_ > limits_.max_nodes)
            fail(source_, node.Mark(), "more than " + std::to_string(limits_.max_nodes) + " values");
        if (depth > limits_.max_depth)
            fail(source_, node.Mark(), "nested deeper than " + std::to_string(limits_.max_depth) + " levels");
        const std::string tag = tag_of(node);
        switch (node.Type()) {
            case YAML::NodeType::Undefined:
            case YAML::NodeType::Null:
                if (tag == "str") return json::string();  // `!!str` with no text
                return nullptr;
            case YAML::NodeType::Scalar:
                record(node, pointer);
                return scalar(node, tag);
            case YAML::NodeType::Sequence: {
                if (!tag.empty() && tag != "seq") unsupported(node, tag);
                record(node, pointer);
                json::array out;
                out.reserve(node.size());
                for (const auto& child : node) {
                    const auto length = pointer.size();
                    pointer += '/' + std::to_string(out.size());
                    out.push_back(convert(child, pointer, depth + 1));
                    pointer.resize(length);
                }
                return out;
            }
            case YAML::NodeType::Map: {
                if (!tag.empty() && tag != "map") unsupported(node, tag);
                record(node, pointer);
                json::object out;
                out.reserve(node.size());
                for (auto it = node.begin(); it != node.end(); ++it) {
                    const YAML::Node key_node = it->first;  // a copy: the iterator yields a temporary pair
                    std::string key = "null";               // `null:`, `~:` and an empty key, as JSON writers name them
                    if (key_node.IsScalar())
                        key = key_node.Scalar();
                    else if (!key_node.IsNull())
                        fail(source_, key_node.Mark(), "a key must be a scalar, not a sequence or mapping");
                    if (out.contains(key)) fail(source_, key_node.Mark(), "duplicate key '" + key + "'");
                    const auto length = pointer.size();
                    pointer += '/' + json_pointer_token(key);
                    const YAML::Node value_node = it->second;
                    auto value = convert(value_node, pointer, depth + 1);
                    pointer.resize(length);
                    out.emplace(key, std::move(value));
                }
                return out;
            }
        }
        return nullptr;
    }

private:
    /// The core-schema name of an explicit `!!` tag ("str", "int", ...); "" for none ("?" plain,
    /// "!" quoted or block scalar). Other tags are kept whole, to be refused.
    static std::string tag_of(const YAML::Node& node) {
        const std::string& tag = node.Tag();
        if (tag.empty() || tag == "?" || tag == "!") return {};
        if (std::string_view(tag).substr(0, yaml_tag_prefix.size()) == yaml_tag_prefix)
            return tag.substr(yaml_tag_prefix.size());
        return tag;  // a local "!name" or another URI
    }

    [[noreturn]] void unsupported(const YAML::Node& node, const std::string& tag) const {
        fail(source_, node.Mark(),
             "unsupported tag '" + (tag.find_first_of("!:") == std::string::npos ? "!!" + tag : tag) + "'");
    }

    void record(const YAML::Node& node, const std::string& pointer) {
        if (document_ && !node.Mark().is_null())
            document_->positions[pointer] = yaml_position{static_cast<std::size_t>(node.Mark().line) + 1,
                                                          static_cast<std::size_t>(node.Mark().column) + 1};
    }

    json::value scalar(const YAML::Node& node, const std::string& tag) {
        const std::string& text = node.Scalar();
        const bool plain = node.Tag() == "?";
        if (tag == "str" || (tag.empty() && !plain)) return json::string(text);
        if (!tag.empty() && tag != "int" && tag != "float" && tag != "bool" && tag != "null") unsupported(node, tag);
        if ((tag.empty() || tag == "null") && is_one_of(text, {"null", "Null", "NULL", "~", ""})) return nullptr;
        if ((tag.empty() || tag == "bool") && is_one_of(text, {"true", "True", "TRUE"})) return true;
        if ((tag.empty() || tag == "bool") && is_one_of(text, {"false", "False", "FALSE"})) return false;
        if (tag.empty() || tag == "int") {
            if (auto number = core_integer(text)) {
                if (tag.empty() || !number->is_double()) return *number;
            }
        }
        if (tag.empty() || tag == "float") {
            if (is_core_infinity_or_nan(text)) fail(source_, node.Mark(), "'" + text + "' has no JSON equivalent");
            if (is_core_float(text)) {
                std::string_view digits = text;
                if (digits[0] == '+') digits.remove_prefix(1);
                double value = 0;
                const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
                if (error != std::errc() || end != digits.data() + digits.size() || !std::isfinite(value))
                    fail(source_, node.Mark(), "'" + text + "' is out of the range of a JSON number");
                return value;
            }
        }
        if (tag.empty()) return json::string(text);
        fail(source_, node.Mark(), "'" + text + "' is not a valid !!" + tag);
    }

    std::string_view source_;
    yaml_limits limits_;
    yaml_document* document_;
    std::size_t nodes_ = 0;
};

yaml_document load(std::string_view text, std::string_view source, yaml_limits limits, bool with_positions) {
    std::vector<YAML::Node> documents;
    try {
        documents = YAML::LoadAll(std::string(text));
    } catch (const YAML::Exception& error) {
        fail(source, error.mark, error.msg);
    }
    yaml_document out;
    if (documents.empty()) return out;
    if (documents.size() > 1) {
        fail(source, YAML::Mark::null_mark(),
             "holds " + std::to_string(documents.size()) + " YAML documents; expected one");
    }
    std::string pointer;
    converter convert(source, limits, with_positions ? &out : nullptr);
    try {
        out.value = convert.convert(documents.front(), pointer, 0);
    } catch (const YAML::Exception& error) {
        fail(source, error.mark, error.msg);
    }
    return out;
}

// ---- writing ----------------------------------------------------------------------------------

constexpr char32_t invalid_utf8 = 0xFFFFFFFF;

/// The code point at text[i], advancing i; invalid_utf8 (advancing one byte) for a byte that
/// does not start a well-formed sequence.
char32_t next_code_point(std::string_view text, std::size_t& i) {
    const std::size_t length = utf8_sequence_length(text, i);
    if (length == 0) {
        ++i;
        return invalid_utf8;
    }
    const auto lead = static_cast<unsigned char>(text[i]);
    char32_t code = length == 1 ? lead : lead & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k) code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
    i += length;
    return code;
}

/// YAML's printable set (c-printable) minus the line breaks and tab.
bool printable(char32_t code) {
    return (code >= 0x20 && code <= 0x7E) || code == 0x85 || (code >= 0xA0 && code <= 0xD7FF) ||
           (code >= 0xE000 && code <= 0xFFFD && code != 0xFEFF) || (code >= 0x10000 && code <= 0x10FFFF);
}

bool valid_printable_utf8(std::string_view text, bool allow_newline) {
    for (std::size_t i = 0; i < text.size();) {
        const char32_t code = next_code_point(text, i);
        if (!(printable(code) || (allow_newline && code == '\n'))) return false;
    }
    return true;
}

/// Could a plain scalar with this text read as something other than this string, under the
/// YAML 1.2 core schema or YAML 1.1 (yes/no/on/off, 0b1010, 1_000, 12:30, dates, `<<`, `=`)?
bool may_read_as_non_string(std::string_view text) {
    if (is_one_of(text, {"null", "Null", "NULL", "~",  "true", "True", "TRUE", "false", "False", "FALSE",
                         "yes",  "Yes",  "YES",  "no", "No",   "NO",   "on",   "On",    "ON",    "off",
                         "Off",  "OFF",  "y",    "Y",  "n",    "N",    "<<",   "="}))
        return true;
    if (is_core_infinity_or_nan(text)) return true;
    const char first = text[0];
    if (first >= '0' && first <= '9') return true;
    if ((first == '-' || first == '+' || first == '.') && text.size() > 1 &&
        ((text[1] >= '0' && text[1] <= '9') || text[1] == '.'))
        return true;
    return false;
}

bool plain_safe(std::string_view text) {
    if (text.empty() || text.front() == ' ' || text.back() == ' ' || text.back() == ':') return false;
    if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(text.front()) != std::string_view::npos) return false;
    if (text.find(": ") != std::string_view::npos || text.find(" #") != std::string_view::npos) return false;
    if (text.find('\t') != std::string_view::npos) return false;
    if (text.substr(0, 3) == "---" || text.substr(0, 3) == "...") return false;
    if (may_read_as_non_string(text)) return false;
    return valid_printable_utf8(text, false);
}

std::string double_quoted(std::string_view text) {
    std::string out = "\"";
    for (std::size_t i = 0; i < text.size();) {
        char32_t code = next_code_point(text, i);
        if (code == invalid_utf8) code = 0xFFFD;
        switch (code) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                if (printable(code)) {
                    out += encode_utf8(std::u32string_view(&code, 1));
                } else {
                    char escape[12];
                    std::snprintf(escape, sizeof escape, code > 0xFFFF ? "\\U%08X" : "\\u%04X",
                                  static_cast<unsigned>(code));
                    out += escape;
                }
        }
    }
    return out + "\"";
}

/// A literal block (`|-`, `|`, `|+`) for multi-line text that needs no escaping; nullopt when
/// the text does not fit one (control characters, tabs, a leading space or line break). The
/// caller ends the last line.
std::optional<std::string> literal_block(std::string_view text, std::size_t indent) {
    if (text.find('\n') == std::string_view::npos || text.front() == ' ' || text.front() == '\n') return std::nullopt;
    if (!valid_printable_utf8(text, true)) return std::nullopt;
    const auto content_end = text.find_last_not_of('\n') + 1;
    const auto trailing = text.size() - content_end;
    std::string out = trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
    const std::string_view content = text.substr(0, content_end);
    for (std::size_t start = 0;;) {
        const auto end = std::min(content.find('\n', start), content.size());
        out += '\n';
        if (end > start) {
            out.append(indent, ' ');
            out += content.substr(start, end - start);
        }
        if (end == content.size()) break;
        start = end + 1;
    }
    out.append(trailing > 1 ? trailing - 1 : 0, '\n');  // kept ("|+") empty lines
    return out;
}

std::string scalar_text(const json::value& value, std::size_t indent) {
    switch (value.kind()) {
        case json::kind::null:
            return "null";
        case json::kind::bool_:
            return value.get_bool() ? "true" : "false";
        case json::kind::int64:
            return std::to_string(value.get_int64());
        case json::kind::uint64:
            return std::to_string(value.get_uint64());
        case json::kind::double_: {
            const double number = value.get_double();
            if (std::isnan(number)) return ".nan";
            if (std::isinf(number)) return number < 0 ? "-.inf" : ".inf";
            char buffer[32];
            const auto end = std::to_chars(buffer, buffer + sizeof buffer, number).ptr;
            std::string text(buffer, end);
            if (text.find_first_of(".e") == std::string::npos) text += ".0";
            return text;
        }
        case json::kind::string: {
            const std::string_view text = value.get_string();
            if (plain_safe(text)) return std::string(text);
            if (auto block = literal_block(text, indent)) return *block;
            return double_quoted(text);
        }
        case json::kind::array:
            return "[]";
        case json::kind::object:
            return "{}";
    }
    return "null";
}

bool is_block_collection(const json::value& value) {
    return (value.is_object() && !value.get_object().empty()) || (value.is_array() && !value.get_array().empty());
}

void emit_array(std::string& out, const json::array& array, std::size_t indent, bool first_inline);

void emit_object(std::string& out, const json::object& object, std::size_t indent, bool first_inline);

/// The value after "key:" or "-" (the caller wrote that); `indent` is the indentation of the
/// key or dash.
void emit_after_indicator(std::string& out, const json::value& value, std::size_t indent, bool after_dash) {
    if (!is_block_collection(value)) {
        out += ' ' + scalar_text(value, indent + 2) + '\n';
    } else if (after_dash) {
        out += ' ';
        if (value.is_object())
            emit_object(out, value.get_object(), indent + 2, true);
        else
            emit_array(out, value.get_array(), indent + 2, true);
    } else {
        out += '\n';
        if (value.is_object())
            emit_object(out, value.get_object(), indent + 2, false);
        else
            emit_array(out, value.get_array(), indent + 2, false);
    }
}

void emit_object(std::string& out, const json::object& object, std::size_t indent, bool first_inline) {
    bool first = true;
    for (const auto& [key, value] : object) {
        if (!(first && first_inline)) out.append(indent, ' ');
        first = false;
        std::string key_text = plain_safe(key) ? std::string(key) : double_quoted(key);
        if (key_text.size() > 1000) {  // implicit keys are limited to 1024 characters: explicit "? key"
            out += "? " + key_text + '\n';
            out.append(indent, ' ');
            out += ':';
        } else {
            out += key_text + ':';
        }
        emit_after_indicator(out, value, indent, false);
    }
}

void emit_array(std::string& out, const json::array& array, std::size_t indent, bool first_inline) {
    bool first = true;
    for (const auto& value : array) {
        if (!(first && first_inline)) out.append(indent, ' ');
        first = false;
        out += '-';
        emit_after_indicator(out, value, indent, true);
    }
}

}  // namespace

std::optional<yaml_position> yaml_document::position_of(std::string_view pointer) const {
    std::string path(pointer);
    for (;;) {
        if (const auto it = positions.find(path); it != positions.end()) return it->second;
        if (path.empty()) return std::nullopt;
        path.resize(path.rfind('/'));
    }
}

yaml_document load_yaml_document(std::string_view text, std::string_view source, yaml_limits limits) {
    return load(text, source, limits, true);
}

json::value load_yaml(std::string_view text, std::string_view source, yaml_limits limits) {
    return load(text, source, limits, false).value;
}

std::string to_yaml(const json::value& value) {
    std::string out;
    if (value.is_object() && !value.get_object().empty())
        emit_object(out, value.get_object(), 0, false);
    else if (value.is_array() && !value.get_array().empty())
        emit_array(out, value.get_array(), 0, false);
    else
        out = scalar_text(value, 2) + '\n';
    return out;
}

std::string json_pointer_token(std::string_view key) {
    std::string out;
    out.reserve(key.size());
    for (char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

}  // namespace raycl::core
