// Integration tests against a real Ray head + worker: Ray Serve over the REST API, and token
// authentication (only meaningful when the cluster runs with RAY_AUTH_MODE=token).
#include "integration/harness.hpp"

#include <boost/json.hpp>

#include <cstdio>
#include <filesystem>
#include <memory>

namespace raycl::test {
namespace {

namespace json = boost::json;

/// GET through the Serve HTTP proxy on loopback with curl; returns the body ("" on failure).
std::string http_get(const std::string& url) {
    return command_output("curl -s --max-time 10 " + url);
}

json::object two_app_config() {
    json::array apps;
    apps.push_back(json::object{
        {"name", "raycl_echo"}, {"route_prefix", "/echo"}, {"import_path", "raycl_serve_fixture:echo_app"}});
    apps.push_back(json::object{
        {"name", "raycl_hello"}, {"route_prefix", "/hello"}, {"import_path", "raycl_serve_fixture:hello_app"}});
    return json::object{
        {"applications", apps},
        {"http_options", json::object{{"host", "127.0.0.1"}, {"port", std::stoi(cluster().serve_port)}}}};
}

bool running(const serve_instance& instance, const char* name) {
    const auto* app = instance.find(name);
    return app && app->status == serve_app_status::running;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(real_ray_serve)

BOOST_AUTO_TEST_CASE(deploy_query_delete_one_app_then_shutdown) {
    client ray(cluster_options());
    run_sync(ray.deploy_serve_applications(two_app_config()));
    auto instance = wait_for_serve(
        ray, [](const serve_instance& i) { return running(i, "raycl_echo") && running(i, "raycl_hello"); });
    BOOST_TEST_REQUIRE(running(instance, "raycl_echo"));
    BOOST_TEST_REQUIRE(running(instance, "raycl_hello"));

    const auto echo = run_sync(ray.get_serve_application("raycl_echo"));
    BOOST_TEST(echo.route_prefix.value_or("") == "/echo");
    BOOST_TEST(echo.source == "declarative");
    BOOST_TEST(!echo.deployments.empty());
    const std::string base = "http://127.0.0.1:" + cluster().serve_port;
    BOOST_TEST(http_get(base + "/echo/ping") == "raycl echo: /echo/ping");
    BOOST_TEST(http_get(base + "/hello") == "raycl hello");

    run_sync(ray.delete_serve_application("raycl_echo"));
    instance = wait_for_serve(ray, [](const serve_instance& i) { return i.find("raycl_echo") == nullptr; });
    BOOST_TEST(instance.find("raycl_echo") == nullptr);
    BOOST_TEST(running(instance, "raycl_hello"));
    BOOST_TEST(http_get(base + "/hello") == "raycl hello");
    BOOST_TEST(expect_error(ray.get_serve_application("raycl_echo")).status() == 404);
    BOOST_TEST(expect_error(ray.delete_serve_application("raycl_echo")).status() == 404);

    run_sync(ray.shutdown_serve());
    instance = wait_for_serve(ray, [](const serve_instance& i) { return i.applications.empty(); });
    BOOST_TEST(instance.applications.empty());
}

// An application deployed from Python (serve.run) next to two from a config: the api_type
// filter on every release (Ray ignores it before 2.50: raycl filters), and deleting one
// declarative application, which Ray before 2.11 cannot do without removing the imperative
// one too (raycl refuses there, before changing anything).
BOOST_AUTO_TEST_CASE(imperative_and_declarative_applications_side_by_side) {
    client ray(cluster_options());
    run_sync(ray.deploy_serve_applications(two_app_config()));
    const auto job =
        run_sync(ray.submit_job(job_submission(python_entrypoint("serve_imperative_deploy.py")).with_num_cpus(0.1)));
    wait_options wait;
    wait.deadline = std::chrono::minutes(3);
    const auto deployed = run_sync(ray.wait_for_job(job, wait));
    BOOST_TEST_REQUIRE(deployed.status == job_status::succeeded, run_sync(ray.list_job_logs(job)));
    auto instance = wait_for_serve(ray, [](const serve_instance& i) {
        return running(i, "raycl_echo") && running(i, "raycl_hello") && running(i, "imperative_hello");
    });
    BOOST_TEST_REQUIRE(running(instance, "imperative_hello"));
    BOOST_TEST(instance.find("imperative_hello")->source == "imperative");
    BOOST_TEST(instance.find("raycl_echo")->source == "declarative");

    const auto imperative = run_sync(ray.list_serve_applications(serve_api_type::imperative));
    BOOST_TEST_REQUIRE(imperative.applications.size() == 1u);
    BOOST_TEST(imperative.applications[0].name == "imperative_hello");
    const auto declarative = run_sync(ray.list_serve_applications(serve_api_type::declarative));
    BOOST_TEST(declarative.applications.size() == 2u);
    BOOST_TEST(declarative.find("imperative_hello") == nullptr);

    if (cluster().has(core::capability::serve_declarative_put_keeps_imperative)) {
        run_sync(ray.delete_serve_application("raycl_echo"));
        instance = wait_for_serve(ray, [](const serve_instance& i) { return i.find("raycl_echo") == nullptr; });
        BOOST_TEST(instance.find("raycl_echo") == nullptr);
        BOOST_TEST(running(instance, "raycl_hello"));
        BOOST_TEST(running(instance, "imperative_hello"));  // Ray left it alone
    } else {
        const auto refused = expect_error(ray.delete_serve_application("raycl_echo"));
        BOOST_TEST(refused.status() == 501, refused.what());
        BOOST_TEST(refused.message().find("needs Ray 2.11.0 or later; the cluster runs Ray " + cluster().ray_version) !=
                       std::string::npos,
                   refused.what());
        instance = run_sync(ray.list_serve_applications());
        BOOST_TEST(running(instance, "raycl_echo"));  // nothing changed
        BOOST_TEST(running(instance, "imperative_hello"));
    }
    run_sync(ray.shutdown_serve());
    instance = wait_for_serve(ray, [](const serve_instance& i) { return i.applications.empty(); });
    BOOST_TEST(instance.applications.empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(real_ray_auth)

BOOST_AUTO_TEST_CASE(token_from_options_environment_and_file) {
    if (!cluster().token_auth()) {
        // With auth disabled every request passes, with or without a token.
        auto options = cluster_options();
        options.token = "tok_any_value_123";
        client ray(options);
        BOOST_TEST(!run_sync(ray.get_version()).ray_version.empty());
        BOOST_TEST(run_sync(ray.list_nodes()).items.size() == 2u);
        return;
    }
    {
        client ray(cluster_options());
        BOOST_TEST(run_sync(ray.list_nodes()).items.size() == 2u);
        BOOST_TEST(run_sync(ray.list_jobs()).size() >= 0u);
    }
    auto discovering = cluster_options();
    discovering.token.clear();
    discovering.discover_token = true;
    {
        ::setenv("RAY_AUTH_TOKEN", cluster().token.c_str(), 1);
        client ray(discovering);
        BOOST_TEST(run_sync(ray.list_nodes()).items.size() == 2u);
        ::unsetenv("RAY_AUTH_TOKEN");
    }
    {
        const auto path = std::filesystem::temp_directory_path() / "raycl_integration_token";
        std::ofstream(path) << cluster().token << "\n";
        ::setenv("RAY_AUTH_TOKEN_PATH", path.c_str(), 1);
        client ray(discovering);
        BOOST_TEST(run_sync(ray.list_nodes()).items.size() == 2u);
        ::unsetenv("RAY_AUTH_TOKEN_PATH");
        std::filesystem::remove(path);
    }
    {
        auto proxied = cluster_options();
        proxied.token_header = token_header::x_ray_authorization;
        client ray(proxied);
        BOOST_TEST(run_sync(ray.list_nodes()).items.size() == 2u);
    }
}

BOOST_AUTO_TEST_CASE(missing_token_is_401_and_wrong_token_is_403) {
    if (!cluster().token_auth()) return;  // nothing to refuse with auth disabled
    auto options = cluster_options();
    options.token.clear();
    client anonymous(options);
    BOOST_TEST(expect_error(anonymous.list_jobs()).status() == 401);
    BOOST_TEST(expect_error(anonymous.list_nodes()).status() == 401);
    options.token = "tok_wrong_" + std::string(32, '0');
    client wrong(options);
    const auto error = expect_error(wrong.list_jobs());
    BOOST_TEST(error.status() == 403);
    BOOST_TEST(std::string(error.what()).find(options.token) == std::string::npos);
    BOOST_TEST(expect_error(wrong.submit_job({"echo never"})).status() == 403);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
