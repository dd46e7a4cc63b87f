// Runtime-env normalisation. The expected wire forms of the "matches_ray" cases were produced
// by Ray 2.60's own code in the project's venv (RuntimeEnv(**env).to_dict(), with the same
// files on disk), then copied here; key order included.
#include "core/runtime_env.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <string>

using namespace raycl;
using raycl::test::contains;
using raycl::test::expect_client_error;
namespace json = boost::json;

namespace {

constexpr const char* commit = "b7f4259e944bf6959f721b106adc366ddfa0c356";

// An in-memory file system for the normaliser; counts every access.
struct fake_files {
    std::map<std::string, std::string> files{
        {"/work/proj/req.txt", "a\n\nb\r\na\n"},        {"/work/proj/crlf.txt", "  x==1\r\ny\r\n\r\n"},
        {"/work/proj/env.yaml", "dependencies: [pip]"}, {"/work/proj/empty.yml", ""},
        {"/work/proj/latin1.txt", "caf\xE9\n"},
    };
    std::set<std::string> directories{"/opt/envs/x"};
    mutable int accesses = 0;

    core::runtime_env_files view() const {
        core::runtime_env_files out;
        out.cwd = "/work/proj";
        out.read_file = [this](const std::string& path) -> std::optional<std::string> {
            ++accesses;
            auto it = files.find(path);
            if (it == files.end()) return std::nullopt;
            return it->second;
        };
        out.is_file = [this](const std::string& path) {
            ++accesses;
            return files.count(path) > 0;
        };
        out.is_directory = [this](const std::string& path) {
            ++accesses;
            return directories.count(path) > 0;
        };
        // yaml_json is another component: this fake knows the two YAML files above.
        out.load_yaml_file = [this](const std::string& path) -> json::value {
            ++accesses;
            if (path == "/work/proj/env.yaml") return json::parse(R"({"dependencies": ["pip"]})");
            return nullptr;
        };
        return out;
    }
};

core::normalized_runtime_env normalize(std::string_view input, const fake_files& fs = {}, bool with_commit = true) {
    core::runtime_env_normalization options;
    if (with_commit) options.ray_commit = commit;
    return core::normalize_runtime_env(json::parse(input).as_object(), fs.view(), options);
}

std::string wire(std::string_view input, const fake_files& fs = {}) {
    return json::serialize(normalize(input, fs).runtime_env);
}

std::string same(std::string_view expected) {
    return json::serialize(json::parse(expected));
}

client_error rejected(std::string_view input, const fake_files& fs = {}) {
    return expect_client_error(error_kind::invalid_argument, [&] { normalize(input, fs); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(runtime_env_tests)

BOOST_AUTO_TEST_CASE(pip_and_uv_match_ray) {
    BOOST_TEST(wire(R"({"pip": ["requests==2.31.0", "numpy", "requests==2.31.0"], "env_vars": {"A": "1"},
                        "excludes": ["*.txt"], "working_dir": "gcs://_ray_pkg_35ef5a074cf81ad2.zip"})") ==
               same(R"({"working_dir": "gcs://_ray_pkg_35ef5a074cf81ad2.zip", "excludes": ["*.txt"],
                        "pip": {"packages": ["requests==2.31.0", "numpy"], "pip_check": false}, "env_vars": {"A": "1"},
                        "_ray_commit": "b7f4259e944bf6959f721b106adc366ddfa0c356"})"));
    BOOST_TEST(wire(R"({"uv": ["emoji", "emoji"], "config": {"setup_timeout_seconds": 60}})") ==
               same(R"({"uv": {"packages": ["emoji"], "uv_check": false, "uv_pip_install_options": ["--no-cache"]},
                        "config": {"setup_timeout_seconds": 60, "eager_install": true, "log_files": []}})"));
    BOOST_TEST(wire(R"({"uv": {"uv_version": "0.4", "packages": ["a", "b", "a"]}})") ==
               same(R"({"uv": {"uv_version": "0.4", "packages": ["a", "b"], "uv_check": false,
                               "uv_pip_install_options": ["--no-cache"]}})"));
}

BOOST_AUTO_TEST_CASE(requirement_files_are_read_on_the_client_as_ray_reads_them) {
    // Blank lines stay entries: read_text().strip().split("\n"), then de-duplicated.
    BOOST_TEST(
        wire(R"({"pip": "req.txt"})") ==
        same(
            R"({"pip": {"packages": ["a", "", "b"], "pip_check": false}, "_ray_commit": "b7f4259e944bf6959f721b106adc366ddfa0c356"})"));
    BOOST_TEST(wire(R"({"pip": {"pip_version": "==23.0", "packages": "req.txt", "pip_check": true}})") ==
               same(R"({"pip": {"pip_version": "==23.0", "packages": ["a", "", "b"], "pip_check": true},
                        "_ray_commit": "b7f4259e944bf6959f721b106adc366ddfa0c356"})"));
    BOOST_TEST(
        wire(R"({"uv": "/work/proj/crlf.txt"})") ==
        same(R"({"uv": {"packages": ["x==1", "y"], "uv_check": false, "uv_pip_install_options": ["--no-cache"]}})"));
    client_error missing = rejected(R"({"pip": "nope.txt"})");
    BOOST_TEST(contains(missing.message(), "runtime_env.pip"));
    BOOST_TEST(contains(missing.message(), "/work/proj/nope.txt"));
    BOOST_TEST(contains(rejected(R"({"pip": "latin1.txt"})").message(), "not UTF-8"));
}

BOOST_AUTO_TEST_CASE(conda_forms_match_ray) {
    BOOST_TEST(
        wire(R"({"conda": "env.yaml"})") ==
        same(R"({"conda": {"dependencies": ["pip"]}, "_ray_commit": "b7f4259e944bf6959f721b106adc366ddfa0c356"})"));
    BOOST_TEST(wire(R"({"conda": "/opt//envs/x/"})") ==
               same(R"({"conda": "/opt/envs/x", "_ray_commit": "b7f4259e944bf6959f721b106adc366ddfa0c356"})"));
    BOOST_TEST(wire(R"({"conda": "myenv"})") ==
               same(R"({"conda": "myenv", "_ray_commit": "b7f4259e944bf6959f721b106adc366ddfa0c356"})"));
    BOOST_TEST(wire(R"({"conda": "empty.yml", "env_vars": {"A": "1"}})") == same(R"({"env_vars": {"A": "1"}})"));
    BOOST_TEST(contains(rejected(R"({"conda": "missing.yaml"})").message(), "runtime_env.conda"));
    BOOST_TEST(contains(rejected(R"({"conda": "/opt/envs/none"})").message(), "runtime_env.conda"));
    BOOST_TEST(contains(rejected(R"({"conda": 5})").message(), "runtime_env.conda must be"));
}

BOOST_AUTO_TEST_CASE(config_gets_its_defaults_and_drops_unknown_keys) {
    BOOST_TEST(wire(R"({"config": {}})") ==
               same(R"({"config": {"setup_timeout_seconds": 600, "eager_install": true, "log_files": []}})"));
    BOOST_TEST(wire(R"({"config": {"bogus": 1, "eager_install": false}})") ==
               same(R"({"config": {"setup_timeout_seconds": 600, "eager_install": false, "log_files": []}})"));
    BOOST_TEST(wire(R"({"config": {"setup_timeout_seconds": -1, "log_files": null}})") ==
               same(R"({"config": {"setup_timeout_seconds": -1, "eager_install": true, "log_files": []}})"));
    for (const char* bad :
         {R"({"config": {"setup_timeout_seconds": 0}})", R"({"config": {"setup_timeout_seconds": 1.5}})",
          R"({"config": {"setup_timeout_seconds": "60"}})"}) {
        BOOST_TEST(contains(rejected(bad).message(), "runtime_env.config.setup_timeout_seconds must be an integer"));
    }
    BOOST_TEST(rejected(R"({"config": {"eager_install": 1}})").message() ==
               "runtime_env.config.eager_install must be a boolean");
    BOOST_TEST(rejected(R"({"config": {"log_files": ["a", 2]}})").message() ==
               "runtime_env.config.log_files[1] must be a string");
    BOOST_TEST(rejected(R"({"config": 5})").message() == "runtime_env.config must be an object");
}

BOOST_AUTO_TEST_CASE(empty_values_are_dropped_as_ray_drops_them) {
    BOOST_TEST(wire(R"({"env_vars": {}, "excludes": [], "pip": [], "py_executable": "python -X importtime"})") ==
               same(R"({"py_executable": "python -X importtime"})"));
    BOOST_TEST(wire(R"({"foo": null})") == "{}");
    BOOST_TEST(wire(R"({"foo": null, "env_vars": {"A": "1"}})") == same(R"({"foo": null, "env_vars": {"A": "1"}})"));
    BOOST_TEST(
        wire(R"({"working_dir": null, "py_modules": null, "container": {"image": "x"}, "env_vars": {"B": "2"}})") ==
        same(R"({"env_vars": {"B": "2"}, "container": {"image": "x"}})"));
    BOOST_TEST(wire(R"({"pip": {"packages": []}})") == "{}");
}

BOOST_AUTO_TEST_CASE(key_order_follows_rays_constructor) {
    BOOST_TEST(wire(R"({"config": {"setup_timeout_seconds": 5}, "env_vars": {"A": "1"}, "pip": ["x"], "aaa": 1})") ==
               same(R"({"aaa": 1, "pip": {"packages": ["x"], "pip_check": false}, "env_vars": {"A": "1"},
                        "config": {"setup_timeout_seconds": 5, "eager_install": true, "log_files": []},
                        "_ray_commit": "b7f4259e944bf6959f721b106adc366ddfa0c356"})"));
    BOOST_TEST(
        wire(
            R"({"excludes": ["a"], "zzz": 1, "working_dir": "gcs://x.zip", "conda": "myenv", "py_modules": ["gcs://a.zip"]})") ==
        same(R"({"zzz": 1, "py_modules": ["gcs://a.zip"], "working_dir": "gcs://x.zip", "excludes": ["a"],
                        "conda": "myenv", "_ray_commit": "b7f4259e944bf6959f721b106adc366ddfa0c356"})"));
    BOOST_TEST(wire(R"({"nsight": "default", "_rocprof_sys": {"x": "y"}})") ==
               same(R"({"_rocprof_sys": {"x": "y"}, "_nsight": "default"})"));
}

BOOST_AUTO_TEST_CASE(ray_commit_is_a_parameter_and_never_overrides) {
    BOOST_TEST(wire(R"({"_ray_commit": "abc", "pip": ["a"]})") ==
               same(R"({"_ray_commit": "abc", "pip": {"packages": ["a"], "pip_check": false}})"));
    BOOST_TEST(json::serialize(normalize(R"({"pip": ["a"]})", {}, false).runtime_env) ==
               same(R"({"pip": {"packages": ["a"], "pip_check": false}})"));
    // uv does not get it (Ray adds it for pip and conda only).
    BOOST_TEST(!normalize(R"({"uv": ["a"]})").runtime_env.contains("_ray_commit"));
    core::runtime_env_normalization dev;
    dev.local_dev_mode = true;
    fake_files fs;
    BOOST_TEST(core::normalize_runtime_env(json::parse(R"({"env_vars": {"A": "1"}})").as_object(), fs.view(), dev)
                   .runtime_env.at("_inject_current_ray") == json::value(true));
}

BOOST_AUTO_TEST_CASE(local_paths_are_returned_with_their_field) {
    const core::normalized_runtime_env env = normalize(
        R"({"py_modules": ["gcs://a.zip", "mods/pkg", "local:///opt/m", "/abs/one.py", "dist/x-1.0-py3-none-any.whl"],
            "working_dir": ".", "excludes": ["*.log", "!keep.log"]})");
    BOOST_REQUIRE_EQUAL(env.local_paths.size(), 4u);
    BOOST_TEST(env.local_paths[0].field == "working_dir");
    BOOST_TEST(env.local_paths[0].path == ".");
    BOOST_TEST(env.local_paths[1].field == "py_modules[1]");
    BOOST_TEST(env.local_paths[1].index == 1u);
    BOOST_TEST(env.local_paths[2].field == "py_modules[3]");
    BOOST_TEST(env.local_paths[3].path == "dist/x-1.0-py3-none-any.whl");
    BOOST_TEST((env.excludes == std::vector<std::string>{"*.log", "!keep.log"}));
    // Unknown schemes are paths for Ray (parse_uri fails), conda:// and friends pass unchecked.
    BOOST_TEST(normalize(R"({"working_dir": "foo://bar"})").local_paths.size() == 1u);
    BOOST_TEST(normalize(R"({"working_dir": "conda://x"})").local_paths.empty());
}

BOOST_AUTO_TEST_CASE(every_invalid_value_is_a_400_naming_the_field) {
    const std::vector<std::pair<const char*, const char*>> table{
        {R"({"env_vars": {"A": 1}})", "runtime_env.env_vars.A must be a string"},
        {R"({"env_vars": "A=1"})", "runtime_env.env_vars must be an object mapping names to strings"},
        {R"({"pip": [1]})", "runtime_env.pip[0] must be a string"},
        {R"({"pip": {"packages": ["a"], "bad": 1}})", "runtime_env.pip.bad is not a pip option"},
        {R"({"pip": {"pip_check": 1, "packages": []}})", "runtime_env.pip.pip_check must be a boolean"},
        {R"({"pip": {"pip_version": 3, "packages": []}})", "runtime_env.pip.pip_version must be a string"},
        {R"({"pip": {"pip_install_options": ["-q", 2], "packages": []}})",
         "runtime_env.pip.pip_install_options[1] must be a string"},
        {R"({"pip": {"pip_check": true}})", "runtime_env.pip.packages is required"},
        {R"({"pip": {"packages": [{"a": 1}]}})", "runtime_env.pip.packages[0] must be a string"},
        {R"({"pip": 3})", "runtime_env.pip must be"},
        {R"({"uv": {"packages": "req.txt"}})", "runtime_env.uv.packages must be a list of strings"},
        {R"({"uv": {}})", "runtime_env.uv.packages is required"},
        {R"({"uv": {"packages": [], "uv_check": "no"}})", "runtime_env.uv.uv_check must be a boolean"},
        {R"({"pip": ["a"], "conda": "x"})", "mutually exclusive (got pip and conda)"},
        {R"({"pip": [], "uv": ["a"]})", "mutually exclusive (got pip and uv)"},
        {R"({"excludes": "abc"})", "runtime_env.excludes must be a list of strings"},
        {R"({"excludes": ["a", 1]})", "runtime_env.excludes[1] must be a string"},
        {R"({"working_dir": 5})", "runtime_env.working_dir must be a string"},
        {R"({"working_dir": "s3://b/x.whl"})", "runtime_env.working_dir: only .zip, .tar.gz, .tgz, .tar.xz files"},
        {R"({"working_dir": "local://rel/dir"})",
         "runtime_env.working_dir: the path of a local:// URI must be absolute"},
        {R"({"working_dir": "local:///a/x.zip"})", "not a .zip archive"},
        {R"({"py_modules": "mods"})", "runtime_env.py_modules must be a list"},
        {R"({"py_modules": ["ok", 1]})", "runtime_env.py_modules[1] must be a string"},
        {R"({"py_modules": ["gcs://a.txt"]})", "runtime_env.py_modules[0]: only .zip, .whl"},
        {R"({"worker_process_setup_hook": 5})", "runtime_env.worker_process_setup_hook must be a string"},
        {R"({"container": {"image": "x"}, "pip": ["a"]})",
         "runtime_env.container cannot be combined with runtime_env.pip"},
        {R"({"image_uri": "x", "working_dir": "gcs://a.zip"})",
         "runtime_env.image_uri cannot be combined with runtime_env.working_dir"},
    };
    for (const auto& [input, message] : table) {
        BOOST_TEST_CONTEXT(input) {
            BOOST_TEST(contains(rejected(input).message(), message), rejected(input).message());
        }
    }
}

BOOST_AUTO_TEST_CASE(values_are_validated_before_any_file_is_read) {
    fake_files fs;
    rejected(R"({"pip": "req.txt", "env_vars": {"A": 1}})", fs);
    rejected(R"({"conda": "env.yaml", "config": {"eager_install": "yes"}})", fs);
    BOOST_TEST(fs.accesses == 0);
    normalize(R"({"pip": "req.txt"})", fs);
    BOOST_TEST(fs.accesses == 1);
}

BOOST_AUTO_TEST_CASE(values_are_never_echoed) {
    const std::string canary(raycl::test::canary);
    BOOST_TEST(raycl::test::free_of_canary(rejected(R"({"env_vars": {"A": [")" + canary + R"("]}})").what()));
    BOOST_TEST(raycl::test::free_of_canary(rejected(R"({"pip": {"packages": [")" + canary + R"("], "x": 1}})").what()));
    // Names are quoted on one line: a key cannot forge a second log line.
    BOOST_TEST(rejected(R"({"env_vars": {"A\nB": 1}})").message() == "runtime_env.env_vars.A?B must be a string");
    // A signed URL's query is cut from the message.
    BOOST_TEST(raycl::test::free_of_canary(
        rejected(R"({"working_dir": "https://h/app.whl?X-Amz-Signature=)" + canary + R"("})").what()));
}

BOOST_AUTO_TEST_SUITE_END()
