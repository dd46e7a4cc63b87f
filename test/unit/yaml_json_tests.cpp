// YAML <-> JSON (src/core/yaml_json): the core schema when reading, errors that name the line
// and column, positions, and writing that reads back to the same JSON, on recorded Ray payloads
// and on generated values.
#include "core/yaml_json.hpp"

#include "unit_helpers.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

using raycl::error_kind;
using raycl::core::load_yaml;
using raycl::core::load_yaml_document;
using raycl::core::to_yaml;
using raycl::test::expect_client_error;
namespace json = boost::json;

namespace {

json::value yaml(std::string_view text) {
    return load_yaml(text);
}

/// The message of the 400 that loading `text` gives.
std::string load_error(std::string_view text, std::string_view source = "config.yaml") {
    return expect_client_error(error_kind::invalid_argument, [&] { load_yaml(text, source); }).message();
}

void check_round_trip(const json::value& value) {
    const std::string text = to_yaml(value);
    json::value back;
    try {
        back = load_yaml(text);
    } catch (const raycl::client_error& error) {
        BOOST_FAIL("to_yaml output does not load: " << error.message() << "\n" << text);
    }
    BOOST_TEST(back == value, "round trip of " << json::serialize(value) << " via\n"
                                               << text << "gave " << json::serialize(back));
}

/// Equal, but doubles within 2 ulp: Boost.JSON 1.81's parser does not always round to the
/// nearest double (yaml_json reads numbers with std::from_chars, which does).
bool same_json(const json::value& a, const json::value& b) {
    if (a.is_double() && b.is_double()) {
        return std::abs(a.get_double() - b.get_double()) <= 4.5e-16 * std::max(std::abs(a.get_double()), 1e-300);
    }
    if (a.kind() != b.kind()) return false;
    if (a.is_array()) {
        const auto &x = a.get_array(), &y = b.get_array();
        if (x.size() != y.size()) return false;
        for (std::size_t i = 0; i < x.size(); ++i) {
            if (!same_json(x[i], y[i])) return false;
        }
        return true;
    }
    if (a.is_object()) {
        const auto &x = a.get_object(), &y = b.get_object();
        if (x.size() != y.size()) return false;
        for (const auto& [key, value] : x) {
            if (!y.contains(key) || !same_json(value, y.at(key))) return false;
        }
        return true;
    }
    return a == b;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(yaml_json)

BOOST_AUTO_TEST_CASE(core_schema_scalars) {
    const auto doc = yaml(
        "int: 42\nneg: -7\nplus: +3\nhex: 0x1F\noct: 0o17\nbig: 18446744073709551615\nhuge: 123456789012345678901234\n"
        "float: 2.5\nexp: 1e3\ndot: .5\nbools: [true, False, TRUE]\nnulls: [null, ~, Null, NULL]\nempty:\n"
        "quoted: \"1\"\nsingle: 'true'\nyes: yes\nversion: 1.2.3\ndate: 2024-01-02\nleading_zero: 0755\n"
        "underscore: 1_000\nliteral: |\n  12\n");
    BOOST_TEST(doc.at("int") == json::value(42));
    BOOST_TEST(doc.at("neg") == json::value(-7));
    BOOST_TEST(doc.at("plus") == json::value(3));
    BOOST_TEST(doc.at("hex") == json::value(31));
    BOOST_TEST(doc.at("oct") == json::value(15));
    BOOST_TEST(doc.at("big").as_uint64() == 18446744073709551615ull);
    BOOST_TEST(doc.at("huge").is_double());
    BOOST_TEST(doc.at("float").as_double() == 2.5);
    BOOST_TEST(doc.at("exp").as_double() == 1000.0);
    BOOST_TEST(doc.at("dot").as_double() == 0.5);
    BOOST_TEST(doc.at("bools") == json::parse("[true, false, true]"));
    BOOST_TEST(doc.at("nulls") == json::parse("[null, null, null, null]"));
    BOOST_TEST(doc.at("empty").is_null());
    BOOST_TEST(doc.at("quoted") == json::value("1"));
    BOOST_TEST(doc.at("single") == json::value("true"));
    BOOST_TEST(doc.at("yes") == json::value("yes"));  // YAML 1.2: not a boolean
    BOOST_TEST(doc.at("version") == json::value("1.2.3"));
    BOOST_TEST(doc.at("date") == json::value("2024-01-02"));
    BOOST_TEST(doc.at("leading_zero") == json::value(755));  // 1.2 core schema: decimal
    BOOST_TEST(doc.at("underscore") == json::value("1_000"));
    BOOST_TEST(doc.at("literal") == json::value("12\n"));
}

BOOST_AUTO_TEST_CASE(tags_aliases_order_and_json_input) {
    const auto doc = yaml(
        "s: !!str 12\ni: !!int \"12\"\nf: !!float 1\nb: !!bool \"true\"\nn: !!null ''\nbase: &b [1, 2]\n"
        "copy: *b\nz: 1\na: 2\n");
    BOOST_TEST(doc.at("s") == json::value("12"));
    BOOST_TEST(doc.at("i") == json::value(12));
    BOOST_TEST(doc.at("f").is_double());
    BOOST_TEST(doc.at("b") == json::value(true));
    BOOST_TEST(doc.at("n").is_null());
    BOOST_TEST(doc.at("copy") == json::parse("[1, 2]"));
    std::vector<std::string> keys;
    for (const auto& [key, value] : doc.as_object()) keys.emplace_back(key);
    BOOST_TEST((keys == std::vector<std::string>{"s", "i", "f", "b", "n", "base", "copy", "z", "a"}));
    // JSON is YAML: a Serve config written as JSON reads the same.
    const std::string config =
        R"({"applications": [{"name": "echo", "route_prefix": "/echo", "args": {"n": 1.5, "on": false, "x": null}}]})";
    BOOST_TEST(yaml(config) == json::parse(config));
    BOOST_TEST(yaml("").is_null());
    BOOST_TEST(yaml("# only a comment\n").is_null());
    BOOST_TEST(yaml("just text") == json::value("just text"));
    BOOST_TEST(yaml("null: 1\n") == json::parse(R"({"null": 1})"));
}

BOOST_AUTO_TEST_CASE(errors_name_the_line_and_column) {
    BOOST_TEST(load_error("a: 1\nb: [1, 2\nc: 3\n") == "config.yaml: line 3, column 2: end of sequence flow not found");
    BOOST_TEST(load_error("a: 1\nb:\n  c: 1\n  c: 2\n") == "config.yaml: line 4, column 3: duplicate key 'c'");
    BOOST_TEST(load_error("? [1, 2]\n: x\n") ==
               "config.yaml: line 1, column 3: a key must be a scalar, not a sequence or mapping");
    BOOST_TEST(load_error("a: 1\n---\nb: 2\n") == "config.yaml: holds 2 YAML documents; expected one");
    BOOST_TEST(load_error("x: .inf\n") == "config.yaml: line 1, column 4: '.inf' has no JSON equivalent");
    BOOST_TEST(load_error("x: 1e999\n") ==
               "config.yaml: line 1, column 4: '1e999' is out of the range of a JSON number");
    BOOST_TEST(load_error("x: !custom 1\n") == "config.yaml: line 1, column 4: unsupported tag '!custom'");
    BOOST_TEST(load_error("x: !!int abc\n") == "config.yaml: line 1, column 4: 'abc' is not a valid !!int");
    BOOST_TEST(load_error("a: b: c\n", "env.yaml").rfind("env.yaml: line 1, column ", 0) == 0);
    // Limits: nesting and alias expansion ("billion laughs") fail instead of exhausting memory.
    BOOST_TEST(raycl::test::contains(load_error(std::string(300, '[') + std::string(300, ']')), "nested deeper"));
    std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'j'; ++c) {
        laughs += std::string(1, c) + ": &" + c + " [";
        for (int i = 0; i < 10; ++i) laughs += std::string(i ? ", *" : "*") + static_cast<char>(c - 1);
        laughs += "]\n";
    }
    BOOST_TEST(raycl::test::contains(load_error(laughs), "more than 1000000 values"));
    // A credential quoted in a message is redacted.
    const auto duplicate = load_error("\"Bearer abcdefgh12345\": 1\n\"Bearer abcdefgh12345\": 2\n");
    BOOST_TEST(raycl::test::contains(duplicate, "duplicate key"));
    BOOST_TEST(!raycl::test::contains(duplicate, "abcdefgh12345"));
}

BOOST_AUTO_TEST_CASE(positions_by_json_pointer) {
    const auto doc = load_yaml_document(
        "contexts:\n  prod:\n    address: http://h\n    headers:\n      - 'X: 1'\n"
        "  a/b~c: {x: 1}\n");
    BOOST_TEST(doc.position_of("/contexts/prod/address")->line == 3u);
    BOOST_TEST(doc.position_of("/contexts/prod/address")->column == 14u);
    BOOST_TEST(doc.position_of("/contexts/prod/headers/0")->line == 5u);
    BOOST_TEST(doc.position_of("/contexts/a~1b~0c/x")->line == 6u);
    BOOST_TEST(doc.position_of("/contexts/prod/missing")->line == 3u);  // the closest ancestor: prod's mapping
    BOOST_TEST(raycl::core::json_pointer_token("a/b~c") == "a~1b~0c");
}

BOOST_AUTO_TEST_CASE(writes_readable_block_yaml) {
    const auto value = json::parse(R"({"submission_id": "raycl-ok-1", "status": "SUCCEEDED", "job_id": "02000000",
        "metadata": {"team": "ml", "on": "yes"}, "entrypoint_num_cpus": 1.0, "pid": 42, "message": null,
        "tags": ["a", 1, true, {"k": "v", "k2": [1, 2]}, [3, [4]]], "empty": {}, "none": [],
        "log": "line 1\nline 2\n", "text": "a: b # c"})");
    BOOST_TEST(to_yaml(value) ==
               "submission_id: raycl-ok-1\n"
               "status: SUCCEEDED\n"
               "job_id: \"02000000\"\n"
               "metadata:\n"
               "  team: ml\n"
               "  \"on\": \"yes\"\n"
               "entrypoint_num_cpus: 1.0\n"
               "pid: 42\n"
               "message: null\n"
               "tags:\n"
               "  - a\n"
               "  - 1\n"
               "  - true\n"
               "  - k: v\n"
               "    k2:\n"
               "      - 1\n"
               "      - 2\n"
               "  - - 3\n"
               "    - - 4\n"
               "empty: {}\n"
               "none: []\n"
               "log: |\n"
               "  line 1\n"
               "  line 2\n"
               "text: \"a: b # c\"\n");
    BOOST_TEST(to_yaml(json::value("x")) == "x\n");
    BOOST_TEST(to_yaml(json::array()) == "[]\n");
    check_round_trip(value);
}

BOOST_AUTO_TEST_CASE(strings_that_look_like_other_things_stay_strings) {
    const std::vector<std::string> strings = {"",
                                              " ",
                                              "1",
                                              "-1",
                                              "+1",
                                              ".5",
                                              "1.5",
                                              "1e3",
                                              "0x1F",
                                              "0o17",
                                              "0755",
                                              "1_000",
                                              "12:30",
                                              "2024-01-02",
                                              "true",
                                              "False",
                                              "yes",
                                              "No",
                                              "on",
                                              "OFF",
                                              "y",
                                              "n",
                                              "null",
                                              "Null",
                                              "~",
                                              "<<",
                                              "=",
                                              ".inf",
                                              "-.inf",
                                              ".nan",
                                              "-",
                                              "- x",
                                              "-x",
                                              "?",
                                              "? x",
                                              ":",
                                              "a:",
                                              "a: b",
                                              "a:b",
                                              "#c",
                                              "a #c",
                                              "a#c",
                                              "[x]",
                                              "{x}",
                                              "x, y",
                                              "&a",
                                              "*a",
                                              "!t",
                                              "|",
                                              ">",
                                              "'q'",
                                              "\"q\"",
                                              "%x",
                                              "@x",
                                              "`x`",
                                              "---",
                                              "...",
                                              "--- x",
                                              " lead",
                                              "trail ",
                                              "tab\there",
                                              "cr\rlf",
                                              "nul\x01",
                                              std::string("zero\0byte", 9),
                                              "del\x7f",
                                              "é ü 漢字 🙂",
                                              "\xEF\xBB\xBF"
                                              "bom",
                                              "\xC2\x85"
                                              "nel",
                                              "multi\nline",
                                              "multi\nline\n",
                                              "multi\nline\n\n\n",
                                              "\nleading newline",
                                              " indented\nblock",
                                              "a\n  b\n\nc",
                                              "trailing spaces  \nx",
                                              "tab\tin\nblock",
                                              "\\back\\slash",
                                              "quote\"s",
                                              "line\n# not a comment",
                                              std::string(1500, 'k')};
    json::object keys;
    json::array values;
    for (const auto& text : strings) {
        check_round_trip(json::value(text));
        keys[text] = text;
        values.emplace_back(text);
    }
    check_round_trip(keys);  // the same texts as keys, long key included
    check_round_trip(values);
    check_round_trip(json::object{{"nested", json::array{keys, values}}});
}

BOOST_AUTO_TEST_CASE(numbers_keep_their_kind) {
    const json::array numbers = {0,    -0.0,      1.0,       0.5,        -2.25, 1e300, 5e-324, 123456789.123,
                                 1e21, INT64_MIN, INT64_MAX, UINT64_MAX, 7,     true,  false,  nullptr};
    for (const auto& number : numbers) check_round_trip(number);
    BOOST_TEST(to_yaml(json::value(1.0)) == "1.0\n");
    BOOST_TEST(load_yaml(to_yaml(json::value(2.0))).is_double());
    BOOST_TEST(load_yaml(to_yaml(json::value(2))).is_int64());
}

BOOST_AUTO_TEST_CASE(recorded_ray_payloads_round_trip) {
    std::size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(raycl::test::fixture_dir() + "/ray")) {
        if (entry.path().extension() != ".json") continue;
        std::ifstream file(entry.path(), std::ios::binary);
        std::ostringstream text;
        text << file.rdbuf();
        boost::system::error_code ec;
        const auto value = json::parse(text.str(), ec);
        if (ec) continue;
        check_round_trip(value);
        BOOST_TEST(same_json(load_yaml(text.str()), value), entry.path().filename());  // JSON read as YAML
        ++files;
    }
    BOOST_TEST(files >= 30u);
}

BOOST_AUTO_TEST_CASE(generated_values_round_trip) {
    std::mt19937_64 random(20261201);
    const std::vector<std::string> alphabet = {"a",  "b", " ", "z", "0",  "9", ":", "-",  "#",  "'",   "\"", "\n",
                                               "\t", "{", "}", "[", "]",  ",", "&", "*",  "!",  "|",   ">",  "%",
                                               "@",  "`", "~", ".", "\\", "/", "é", "漢", "\r", "\x01"};
    auto text = [&] {
        std::string out;
        for (auto length = random() % 12; length > 0; --length) out += alphabet[random() % alphabet.size()];
        return out;
    };
    std::function<json::value(int)> generate = [&](int depth) -> json::value {
        switch (depth > 3 ? random() % 5 : random() % 7) {
            case 0:
                return nullptr;
            case 1:
                return random() % 2 == 0;
            case 2:
                return static_cast<std::int64_t>(random() % 2000) - 1000;
            case 3:
                return static_cast<double>(static_cast<std::int64_t>(random() % 20000) - 10000) / 64.0;
            case 4:
                return json::string(text());
            case 5: {
                json::array out;
                for (auto n = random() % 4; n > 0; --n) out.push_back(generate(depth + 1));
                return out;
            }
            default: {
                json::object out;
                for (auto n = random() % 4; n > 0; --n) out[text()] = generate(depth + 1);
                return out;
            }
        }
    };
    for (int i = 0; i < 500; ++i) check_round_trip(generate(0));
}

BOOST_AUTO_TEST_SUITE_END()
