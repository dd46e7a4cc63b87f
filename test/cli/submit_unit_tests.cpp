// Unit tests of `job submit`'s additions (src/cli/submit_options.*): the packaging flags as
// `ray job submit` takes them, the runtime_env they compose, --headers / $RAY_JOB_HEADERS and
// --verify, and the progress line.
#include "args.hpp"
#include "parse_helpers.hpp"
#include "submit_options.hpp"

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

namespace raycl::cli {
namespace {

using test::parse;
using test::usage_of;

}  // namespace

BOOST_AUTO_TEST_SUITE(cli_submit_options)

BOOST_AUTO_TEST_CASE(packaging_flags_as_ray_job_submit_takes_them) {
    const auto cmd =
        parse({"job", "submit", "--working-dir", "proj", "--py-modules", "lib", "--py-modules=m.py", "--runtime-env",
               "env.yaml", "--entrypoint-label-selector", R"({"region": "us"})", "--headers",
               R"({"X-A": "1", "X-B": "two words"})", "--verify", "False", "--dry-run", "--", "python", "main.py"});
    BOOST_TEST((cmd.kind == command_kind::job_submit));
    BOOST_TEST(*cmd.working_dir == "proj");
    BOOST_TEST(cmd.py_modules == (std::vector<std::string>{"lib", "m.py"}), boost::test_tools::per_element());
    BOOST_TEST(*cmd.runtime_env_file == "env.yaml");
    BOOST_TEST(cmd.entrypoint_label_selector->at("region") == "us");
    BOOST_TEST_REQUIRE(cmd.job_headers->size() == 2u);
    BOOST_TEST(cmd.job_headers->at(1).second == "two words");
    BOOST_TEST(*cmd.verify_tls == false);
    BOOST_TEST(!cmd.verify_ca_file);
    BOOST_TEST(cmd.dry_run);
    BOOST_TEST(join_entrypoint(cmd.entrypoint) == "python main.py");
}

BOOST_AUTO_TEST_CASE(verify_takes_clicks_bool_words_or_a_ca_file) {
    for (const char* word : {"true", "1", "YES", "on", "t", "y"}) {
        const auto on = parse({"job", "submit", "--verify", word, "--", "x"});
        BOOST_TEST(*on.verify_tls == true, word);
        BOOST_TEST(!on.verify_ca_file, word);
    }
    for (const char* word : {"false", "0", "No", "off", "f", "n"}) {
        const auto off = parse({"job", "submit", "--verify", word, "--", "x"});
        BOOST_TEST(*off.verify_tls == false, word);
    }
    const auto ca = parse({"job", "submit", "--verify", "/etc/ca.pem", "--", "x"});
    BOOST_TEST(*ca.verify_tls == true);
    BOOST_TEST(*ca.verify_ca_file == "/etc/ca.pem");
    BOOST_TEST(usage_of({"job", "submit", "--verify", "", "--", "x"}) == 2);
}

BOOST_AUTO_TEST_CASE(invalid_values_are_usage_errors) {
    // ray job submit: "Only one of --runtime_env and --runtime-env-json can be provided."
    BOOST_TEST(usage_of({"job", "submit", "--runtime-env", "a.yaml", "--runtime-env-json", "{}", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "submit", "--working-dir", "", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "submit", "--py-modules", "", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "submit", "--headers", R"({"X": 1})", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "submit", "--headers", R"({"X Y": "1"})", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "submit", "--headers", R"({"X": "a\r\nB: c"})", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "submit", "--headers", "[1]", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "submit", "--entrypoint-label-selector", R"({"k": 1})", "--", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "list", "--working-dir", "x"}) == 2);
    BOOST_TEST(usage_of({"job", "submit", "--dry-run"}) == 2);  // still needs the entrypoint
}

BOOST_AUTO_TEST_CASE(the_runtime_env_is_composed_as_ray_job_submit_composes_it) {
    auto cmd = parse({"job", "submit", "--runtime-env-json", R"({"working_dir": "old", "env_vars": {"A": "1"}})",
                      "--working-dir", "new", "--", "x"});
    auto env = compose_runtime_env(cmd, std::nullopt);
    BOOST_TEST(boost::json::value(*env) == boost::json::parse(R"({"working_dir": "new", "env_vars": {"A": "1"}})"));

    // The file's runtime_env, --py-modules replacing its list.
    cmd = parse({"job", "submit", "--runtime-env", "f.yaml", "--py-modules", "a", "--py-modules", "b", "--", "x"});
    env = compose_runtime_env(cmd, boost::json::parse(R"({"py_modules": ["old"], "pip": ["x"]})").as_object());
    BOOST_TEST(boost::json::value(*env) == boost::json::parse(R"({"py_modules": ["a", "b"], "pip": ["x"]})"));

    // Nothing given: no runtime_env at all; only --working-dir: just that.
    BOOST_TEST(!compose_runtime_env(parse({"job", "submit", "--", "x"}), std::nullopt));
    env = compose_runtime_env(parse({"job", "submit", "--working-dir", ".", "--", "x"}), std::nullopt);
    BOOST_TEST(boost::json::value(*env) == boost::json::parse(R"({"working_dir": "."})"));
}

BOOST_AUTO_TEST_CASE(headers_then_ray_job_headers_then_verify_on_the_connection) {
    client_options options;
    options.headers = {{"X-Global", "g"}};
    auto cmd = parse({"job", "submit", "--headers", R"({"X-Flag": "f"})", "--verify", "false", "--", "x"});
    apply_job_submit_connection(cmd, R"({"X-Env": "e"})", options);  // --headers wins over the variable
    BOOST_TEST_REQUIRE(options.headers.size() == 2u);
    BOOST_TEST(options.headers.at(1).first == "X-Flag");
    BOOST_TEST(!options.tls.verify_peer);

    client_options from_env;
    cmd = parse({"job", "submit", "--verify", "/ca.pem", "--", "x"});
    apply_job_submit_connection(cmd, R"({"X-Env": "e"})", from_env);
    BOOST_TEST_REQUIRE(from_env.headers.size() == 1u);
    BOOST_TEST(from_env.headers.at(0).second == "e");
    BOOST_TEST(from_env.tls.verify_peer);
    BOOST_TEST(from_env.tls.ca_file == "/ca.pem");

    client_options untouched;
    apply_job_submit_connection(parse({"job", "submit", "--", "x"}), nullptr, untouched);
    BOOST_TEST(untouched.headers.empty());
    BOOST_TEST(untouched.tls.verify_peer);
    BOOST_CHECK_THROW(apply_job_submit_connection(parse({"job", "submit", "--", "x"}), "not json", untouched),
                      usage_error);
}

BOOST_AUTO_TEST_CASE(progress_lines) {
    BOOST_TEST(format_bytes(17) == "17 B");
    BOOST_TEST(format_bytes(980 * 1024) == "980 KiB");
    BOOST_TEST(format_bytes(std::uint64_t{25} << 19) == "12.5 MiB");
    BOOST_TEST(format_bytes(std::uint64_t{3} << 30) == "3.0 GiB");
    packaging_progress report{packaging_phase::uploading, "working_dir", std::uint64_t{12} << 20,
                              std::uint64_t{20} << 20};
    BOOST_TEST(progress_line(report) == "raycl: working_dir: uploading 12.0 MiB / 20.0 MiB (60%)");
    BOOST_TEST(!progress_line_is_final(report));
    report.bytes_done = report.bytes_total;
    BOOST_TEST(progress_line_is_final(report));
    const packaging_progress hashing{packaging_phase::hashing, "py_modules[1]", 0, 0};
    BOOST_TEST(progress_line(hashing) == "raycl: py_modules[1]: hashing 0 B / 0 B");
    BOOST_TEST(!progress_line_is_final(hashing));
    const packaging_progress skipped{packaging_phase::skipped, "py_modules[0]", 10, 10};
    BOOST_TEST(progress_line(skipped) == "raycl: py_modules[0]: already on the cluster, skipped");
    BOOST_TEST(progress_line_is_final(skipped));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::cli
