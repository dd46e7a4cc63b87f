#include "core/validation.hpp"
#include "unit/unit_helpers.hpp"

#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace raycl;
using raycl::core::parse_address;
using raycl::test::contains;
using raycl::test::expect_client_error;

namespace {

client_error rejected_id(std::string_view id) {
    return expect_client_error(error_kind::invalid_argument, [&] { core::validate_resource_id("job", id); });
}

}  // namespace

BOOST_AUTO_TEST_SUITE(validation_tests)

BOOST_AUTO_TEST_CASE(resource_id_accepts_the_id_alphabet_up_to_100_chars) {
    BOOST_CHECK_NO_THROW(core::validate_resource_id("job", "raysubmit_AbC123-xyz"));
    BOOST_CHECK_NO_THROW(core::validate_resource_id("job", "02000000"));
    BOOST_CHECK_NO_THROW(core::validate_resource_id("job", std::string(100, 'a')));
}

BOOST_AUTO_TEST_CASE(resource_id_messages_follow_the_seed) {
    BOOST_TEST(rejected_id("").message() == "job ID cannot be empty");
    BOOST_TEST(rejected_id(std::string(101, 'a')).message() == "job ID too long");
    BOOST_TEST(rejected_id("a/b").message() == "Invalid job ID format");
}

BOOST_AUTO_TEST_CASE(resource_id_is_a_full_match) {
    const std::vector<std::string> bad{
        "abc\n",       "\nabc", "a/b", "../etc", "..",  ".",  "a%2Fb", "a\rb", "a\nb", std::string("a\0b", 3),
        "caf\xC3\xA9", "a b",   "a?b", "a#b",    "a.b", "a+b"};
    for (const std::string& id : bad) {
        BOOST_TEST_CONTEXT("id #" << (&id - bad.data())) {
            client_error error = rejected_id(id);
            BOOST_TEST(error.message() == "Invalid job ID format");
        }
    }
}

BOOST_AUTO_TEST_CASE(malformed_id_is_not_echoed) {
    client_error error = rejected_id("evil%2F..%2Fsecret");
    BOOST_TEST(!contains(error.what(), "evil"));
    BOOST_TEST(!contains(error.what(), "secret"));
}

BOOST_AUTO_TEST_CASE(app_names_are_free_text_but_bounded) {
    BOOST_CHECK_NO_THROW(core::validate_app_name("my app/v2 ü"));
    BOOST_CHECK_NO_THROW(core::validate_app_name(std::string(256, 'x')));
    expect_client_error(error_kind::invalid_argument, [] { core::validate_app_name(""); });
    expect_client_error(error_kind::invalid_argument, [] { core::validate_app_name(std::string(257, 'x')); });
    expect_client_error(error_kind::invalid_argument, [] { core::validate_app_name("a\nb"); });
    expect_client_error(error_kind::invalid_argument, [] { core::validate_app_name("a\rb"); });
    expect_client_error(error_kind::invalid_argument, [] { core::validate_app_name(std::string("a\0b", 3)); });
}

BOOST_AUTO_TEST_CASE(timeouts_must_be_finite_and_in_range) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    for (double bad : {nan, inf, -inf, -1.0, 0.0, -0.0, 300.0001, 1e9}) {
        BOOST_TEST_CONTEXT("timeout " << bad) {
            client_error error = expect_client_error(error_kind::invalid_argument,
                                                     [&] { core::validate_timeout("read timeout", seconds{bad}); });
            BOOST_TEST(contains(error.message(), "read timeout"));
        }
    }
    for (double good : {0.001, 1.0, 15.0, 300.0})
        BOOST_CHECK_NO_THROW(core::validate_timeout("read timeout", seconds{good}));
}

BOOST_AUTO_TEST_CASE(headers_reject_injection) {
    BOOST_CHECK_NO_THROW(core::validate_header("X-Trace-Id", "abc 123\twith tab"));
    const std::vector<std::pair<std::string, std::string>> bad{
        {"X-A", "v\r\nX-Injected: 1"}, {"X-A", "v\nx"}, {"X-A", "v\rx"}, {"X-A", std::string("v\0x", 3)},
        {"X-A\r\nX-B", "v"},           {"", "v"},       {"X A", "v"},    {"X:A", "v"},
        {std::string("X\0", 2), "v"}};
    for (const auto& [name, value] : bad) {
        BOOST_TEST_CONTEXT("header #" << (&name - &bad.front().first) / 2) {
            expect_client_error(error_kind::invalid_argument, [&] { core::validate_header(name, value); });
        }
    }
}

BOOST_AUTO_TEST_CASE(header_value_is_not_echoed) {
    client_error error = expect_client_error(
        error_kind::invalid_argument, [] { core::validate_header("Authorization", "Bearer hunter2hunter2\r\n"); });
    BOOST_TEST(!contains(error.what(), "hunter2"));
}

BOOST_AUTO_TEST_CASE(cookies_reject_separators_and_controls) {
    BOOST_CHECK_NO_THROW(core::validate_cookie("ray-authentication-token", "abc.def"));
    expect_client_error(error_kind::invalid_argument, [] { core::validate_cookie("a", "b; c=d"); });
    expect_client_error(error_kind::invalid_argument, [] { core::validate_cookie("a", "b\r\nc"); });
    expect_client_error(error_kind::invalid_argument, [] { core::validate_cookie("a=b", "c"); });
    expect_client_error(error_kind::invalid_argument, [] { core::validate_cookie("", "c"); });
}

BOOST_AUTO_TEST_CASE(list_options_bounds) {
    list_options options;
    BOOST_CHECK_NO_THROW(core::validate_list_options(options));
    for (int limit : {1, 100, 10000}) {
        options.limit = limit;
        BOOST_CHECK_NO_THROW(core::validate_list_options(options));
    }
    for (int limit : {0, -1, 10001}) {
        options.limit = limit;
        expect_client_error(error_kind::invalid_argument, [&] { core::validate_list_options(options); });
    }
    options.limit.reset();
    options.filters = {{"state", "=", "RUNNING"}, {"job_id", "!=", "01000000"}};
    BOOST_CHECK_NO_THROW(core::validate_list_options(options));
    for (const list_filter& bad : {list_filter{"state", "==", "x"}, list_filter{"", "=", "x"},
                                   list_filter{"st ate", "=", "x"}, list_filter{"a&b", "=", "x"}}) {
        options.filters = {bad};
        expect_client_error(error_kind::invalid_argument, [&] { core::validate_list_options(options); });
    }
    options.filters.clear();
    options.server_timeout_seconds = 0.0;
    expect_client_error(error_kind::invalid_argument, [&] { core::validate_list_options(options); });
    options.server_timeout_seconds = std::numeric_limits<double>::quiet_NaN();
    expect_client_error(error_kind::invalid_argument, [&] { core::validate_list_options(options); });
    options.server_timeout_seconds = 30.0;
    BOOST_CHECK_NO_THROW(core::validate_list_options(options));
}

BOOST_AUTO_TEST_CASE(submission_checks) {
    job_submission good;
    good.entrypoint = "python -c 'print(1)'";
    good.submission_id = "my_job-1";
    good.entrypoint_num_cpus = 0.5;
    good.entrypoint_memory = 0;
    good.entrypoint_resources = std::map<std::string, double>{{"custom", 1.0}};
    BOOST_CHECK_NO_THROW(core::validate_submission(good));

    auto rejected = [&](auto mutate) {
        job_submission bad = good;
        mutate(bad);
        expect_client_error(error_kind::invalid_argument, [&] { core::validate_submission(bad); });
    };
    rejected([](job_submission& s) { s.entrypoint = ""; });
    rejected([](job_submission& s) { s.entrypoint = "  \n"; });
    rejected([](job_submission& s) { s.submission_id = "../x"; });
    rejected([](job_submission& s) { s.submission_id = ""; });
    rejected([](job_submission& s) { s.entrypoint_num_cpus = -1.0; });
    rejected([](job_submission& s) { s.entrypoint_num_gpus = std::numeric_limits<double>::quiet_NaN(); });
    rejected([](job_submission& s) { s.entrypoint_memory = -1; });
    rejected([](job_submission& s) { (*s.entrypoint_resources)["x"] = std::numeric_limits<double>::infinity(); });
    rejected([](job_submission& s) { (*s.entrypoint_resources)[""] = 1.0; });
    rejected([](job_submission& s) { s.entrypoint_label_selector = std::map<std::string, std::string>{{"", "v"}}; });
    rejected([](job_submission& s) {
        s.entrypoint_label_selector = std::map<std::string, std::string>{{"k", "\xff"}};
    });
}

// Found by test/fuzz/validation (corpus: crash-submission-invalid-utf8): an entrypoint with a
// byte that is not UTF-8 was serialized into a request body that is not JSON.
BOOST_AUTO_TEST_CASE(submission_strings_must_be_utf8) {
    job_submission good("python caf\xc3\xa9.py");
    good.metadata = std::map<std::string, std::string>{{"owner", "J\xc3\xbcrgen"}};
    good.runtime_env = boost::json::object{{"env_vars", boost::json::object{{"A", "\xe2\x82\xac"}}}};
    BOOST_CHECK_NO_THROW(core::validate_submission(good));

    auto rejected = [&](auto mutate) {
        job_submission bad = good;
        mutate(bad);
        return expect_client_error(error_kind::invalid_argument, [&] { core::validate_submission(bad); });
    };
    BOOST_TEST(contains(rejected([](job_submission& s) { s.entrypoint = "pa t\r\n\xc3"; }).what(), "UTF-8"));
    rejected([](job_submission& s) { s.entrypoint = "echo \xc0\xaf"; });      // overlong '/'
    rejected([](job_submission& s) { s.entrypoint = "echo \xed\xa0\x80"; });  // surrogate
    rejected([](job_submission& s) { (*s.metadata)["k"] = "\xff"; });
    rejected([](job_submission& s) { (*s.metadata)["\xfe"] = "v"; });
    rejected([](job_submission& s) { s.entrypoint_resources = std::map<std::string, double>{{"\x80", 1.0}}; });
    rejected([](job_submission& s) { s.runtime_env = boost::json::object{{"pip", boost::json::array{"ok", "\xf5"}}}; });
    rejected([](job_submission& s) { s.runtime_env = boost::json::object{{"\xc3", 1}}; });
}

BOOST_AUTO_TEST_CASE(client_options_checks) {
    BOOST_CHECK_NO_THROW(core::validate_client_options(client_options{}));
    auto rejected = [](auto mutate) {
        client_options options;
        mutate(options);
        return expect_client_error(error_kind::invalid_argument, [&] { core::validate_client_options(options); });
    };
    client_error token_error = rejected([](client_options& o) { o.token = "secret token value"; });
    BOOST_TEST(!contains(token_error.what(), "secret"));
    rejected([](client_options& o) { o.token = "tok\n"; });
    rejected([](client_options& o) { o.address = "ws://127.0.0.1:8265"; });
    rejected([](client_options& o) { o.headers = {{"X-A", "a\r\nb"}}; });
    rejected([](client_options& o) { o.cookies = {{"c", "a;b"}}; });
    rejected([](client_options& o) { o.timeout.connect = seconds{0}; });
    rejected([](client_options& o) { o.timeout.read = seconds{301}; });
    rejected([](client_options& o) { o.retry.max_attempts = 0; });
    rejected([](client_options& o) { o.retry.multiplier = 0.5; });
    rejected([](client_options& o) { o.retry.initial_backoff = std::chrono::milliseconds{-1}; });
    rejected([](client_options& o) { o.max_response_bytes = 0; });
    rejected([](client_options& o) { o.max_connections_per_strand = 0; });
}

BOOST_AUTO_TEST_CASE(call_options_checks) {
    BOOST_CHECK_NO_THROW(core::validate_call_options(call_options{}));
    call_options call;
    call.read_timeout = seconds{std::numeric_limits<double>::infinity()};
    expect_client_error(error_kind::invalid_argument, [&] { core::validate_call_options(call); });
    call = {};
    call.connect_timeout = seconds{-1};
    expect_client_error(error_kind::invalid_argument, [&] { core::validate_call_options(call); });
    call = {};
    call.retry = retry_policy{};
    call.retry->max_attempts = 0;
    expect_client_error(error_kind::invalid_argument, [&] { core::validate_call_options(call); });
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(address_tests)

struct address_case {
    std::string input;
    bool tls;
    std::string host;
    std::string port;
    std::string base_path;
    std::string display;
};

BOOST_AUTO_TEST_CASE(accepted_addresses) {
    const std::vector<address_case> cases{
        {"127.0.0.1", false, "127.0.0.1", "8265", "", "http://127.0.0.1:8265"},
        {"localhost:9000", false, "localhost", "9000", "", "http://localhost:9000"},
        {"http://127.0.0.1:8265", false, "127.0.0.1", "8265", "", "http://127.0.0.1:8265"},
        {"http://head", false, "head", "80", "", "http://head:80"},
        {"https://dash.example.com", true, "dash.example.com", "443", "", "https://dash.example.com:443"},
        {"HTTPS://Dash:8443/ray/", true, "Dash", "8443", "/ray", "https://Dash:8443/ray"},
        {"http://h:8265/", false, "h", "8265", "", "http://h:8265"},
        {"http://h/prefix/dash", false, "h", "80", "/prefix/dash", "http://h:80/prefix/dash"},
        {"[::1]:8265", false, "::1", "8265", "", "http://[::1]:8265"},
        {"[::1]", false, "::1", "8265", "", "http://[::1]:8265"},
        {"https://[fe80::1]", true, "fe80::1", "443", "", "https://[fe80::1]:443"},
        {"  http://h:1\n", false, "h", "1", "", "http://h:1"},
        {"http://h:65535", false, "h", "65535", "", "http://h:65535"},
    };
    for (const address_case& c : cases) {
        BOOST_TEST_CONTEXT(c.input) {
            core::endpoint e = parse_address(c.input);
            BOOST_TEST(e.tls == c.tls);
            BOOST_TEST(e.host == c.host);
            BOOST_TEST(e.port == c.port);
            BOOST_TEST(e.base_path == c.base_path);
            BOOST_TEST(e.display == c.display);
        }
    }
}

BOOST_AUTO_TEST_CASE(rejected_addresses) {
    const std::vector<std::string> bad{"",
                                       "   ",
                                       "http://",
                                       "http://:8265",
                                       "http://h:",
                                       "http://h:0",
                                       "http://h:65536",
                                       "http://h:abc",
                                       "http://h:80x",
                                       "[::1",
                                       "[zz::1]:80",
                                       "[::1]x",
                                       "http://h/a b",
                                       "http://h/?x=1",
                                       "http://h#frag",
                                       "http://h?x",
                                       "http://h\r\n:80",
                                       "h\tx",
                                       "http://h/a\"b"};
    for (const std::string& address : bad) {
        BOOST_TEST_CONTEXT("address '" << address << "'") {
            expect_client_error(error_kind::invalid_argument, [&] { parse_address(address); });
        }
    }
}

BOOST_AUTO_TEST_CASE(only_http_and_https_schemes) {
    for (std::string scheme : {"ws", "wss", "ftp", "ray", "file", "grpc"}) {
        BOOST_TEST_CONTEXT(scheme) {
            client_error error =
                expect_client_error(error_kind::invalid_argument, [&] { parse_address(scheme + "://127.0.0.1:8265"); });
            BOOST_TEST(contains(error.message(), "'" + scheme + "'"));
        }
    }
}

BOOST_AUTO_TEST_CASE(user_info_is_rejected_without_echoing_it) {
    for (std::string address :
         {"http://admin:hunter2pass@127.0.0.1:8265", "https://hunter2pass@h", "admin:hunter2pass@h:8265"}) {
        BOOST_TEST_CONTEXT(address) {
            client_error error = expect_client_error(error_kind::invalid_argument, [&] { parse_address(address); });
            BOOST_TEST(!contains(error.what(), "hunter2"));
            BOOST_TEST(!contains(error.what(), "admin"));
            BOOST_TEST(contains(error.message(), "user info"));
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
