#include "core/environment.hpp"

#include <boost/test/unit_test.hpp>

#include <map>
#include <string>

using raycl::client_options;
using raycl::core::discover_address;
using raycl::core::discover_token;
using raycl::core::environment_view;

namespace {

// An environment of variables and files held in maps.
struct fake_environment {
    std::map<std::string, std::string> variables;
    std::map<std::string, std::string> files;

    environment_view view() const {
        environment_view env;
        env.get_variable = [this](const char* name) -> std::optional<std::string> {
            auto it = variables.find(name);
            return it == variables.end() ? std::nullopt : std::optional(it->second);
        };
        env.read_file = [this](const std::string& path) -> std::optional<std::string> {
            auto it = files.find(path);
            return it == files.end() ? std::nullopt : std::optional(it->second);
        };
        return env;
    }
};

client_options with_token(std::string token) {
    client_options options;
    options.token = std::move(token);
    return options;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(environment_tests)

BOOST_AUTO_TEST_CASE(address_option_wins_over_ray_address) {
    fake_environment env{{{"RAY_ADDRESS", "http://10.0.0.1:8265"}}, {}};
    client_options options;
    options.address = "https://dash.example:443";
    BOOST_TEST(discover_address(options, env.view()) == "https://dash.example:443");
}

BOOST_AUTO_TEST_CASE(ray_address_is_used_and_trimmed) {
    fake_environment env{{{"RAY_ADDRESS", "  http://10.0.0.1:8265\n"}}, {}};
    BOOST_TEST(discover_address({}, env.view()) == "http://10.0.0.1:8265");
}

BOOST_AUTO_TEST_CASE(address_defaults_to_local_dashboard) {
    BOOST_TEST(discover_address({}, fake_environment{}.view()) == "http://127.0.0.1:8265");
    fake_environment blank{{{"RAY_ADDRESS", " "}}, {}};
    BOOST_TEST(discover_address({}, blank.view()) == "http://127.0.0.1:8265");
    fake_environment automatic{{{"RAY_ADDRESS", "auto"}}, {}};
    BOOST_TEST(discover_address({}, automatic.view()) == "http://127.0.0.1:8265");
}

BOOST_AUTO_TEST_CASE(token_option_wins_and_is_trimmed) {
    fake_environment env{{{"RAY_AUTH_TOKEN", "from-env"}, {"HOME", "/home/u"}},
                         {{"/home/u/.ray/auth_token", "from-file"}}};
    BOOST_TEST(discover_token(with_token(" explicit\n"), env.view()) == "explicit");
}

BOOST_AUTO_TEST_CASE(ray_auth_token_variable_comes_first) {
    fake_environment env{
        {{"RAY_AUTH_TOKEN", "\tfrom-env \n"}, {"RAY_AUTH_TOKEN_PATH", "/etc/token"}, {"HOME", "/home/u"}},
        {{"/etc/token", "from-path"}, {"/home/u/.ray/auth_token", "from-home"}}};
    BOOST_TEST(discover_token({}, env.view()) == "from-env");
}

BOOST_AUTO_TEST_CASE(token_path_variable_comes_second) {
    fake_environment env{{{"RAY_AUTH_TOKEN_PATH", "/etc/token"}, {"HOME", "/home/u"}},
                         {{"/etc/token", "from-path\n"}, {"/home/u/.ray/auth_token", "from-home"}}};
    BOOST_TEST(discover_token({}, env.view()) == "from-path");
}

BOOST_AUTO_TEST_CASE(token_path_with_tilde_uses_home) {
    fake_environment env{{{"RAY_AUTH_TOKEN_PATH", "~/tokens/ray"}, {"HOME", "/home/u"}},
                         {{"/home/u/tokens/ray", "tilde-token"}}};
    BOOST_TEST(discover_token({}, env.view()) == "tilde-token");
}

BOOST_AUTO_TEST_CASE(home_file_comes_last) {
    fake_environment env{{{"HOME", "/home/u"}}, {{"/home/u/.ray/auth_token", "  from-home  \r\n"}}};
    BOOST_TEST(discover_token({}, env.view()) == "from-home");
    // An unreadable RAY_AUTH_TOKEN_PATH falls through to the home file.
    env.variables["RAY_AUTH_TOKEN_PATH"] = "/missing";
    BOOST_TEST(discover_token({}, env.view()) == "from-home");
}

BOOST_AUTO_TEST_CASE(blank_sources_are_skipped) {
    fake_environment env{{{"RAY_AUTH_TOKEN", "   "}, {"RAY_AUTH_TOKEN_PATH", "/etc/token"}, {"HOME", "/h"}},
                         {{"/etc/token", "\n"}, {"/h/.ray/auth_token", "last"}}};
    BOOST_TEST(discover_token({}, env.view()) == "last");
}

BOOST_AUTO_TEST_CASE(no_token_anywhere_gives_empty) {
    BOOST_TEST(discover_token({}, fake_environment{}.view()).empty());
    fake_environment no_home_file{{{"HOME", "/h"}}, {}};
    BOOST_TEST(discover_token({}, no_home_file.view()).empty());
}

BOOST_AUTO_TEST_CASE(discovery_can_be_turned_off) {
    fake_environment env{{{"RAY_AUTH_TOKEN", "from-env"}}, {}};
    client_options options;
    options.discover_token = false;
    BOOST_TEST(discover_token(options, env.view()).empty());
    options.token = "explicit";
    BOOST_TEST(discover_token(options, env.view()) == "explicit");
}

BOOST_AUTO_TEST_CASE(system_view_reads_the_process_environment) {
    environment_view env = environment_view::system();
    BOOST_REQUIRE(env.get_variable);
    BOOST_TEST(!env.get_variable("RAYCL_SURELY_UNSET_VARIABLE_42").has_value());
    BOOST_TEST(env.get_variable("PATH").has_value());
    BOOST_TEST(!env.read_file("/nonexistent/raycl/token").has_value());
}

BOOST_AUTO_TEST_SUITE_END()
