// Runtime-env packaging through the client, against the fake dashboard: which packages are
// checked, archived and sent, the exact bytes sent, the statuses of failures (413, 500, a
// connection cut mid-upload, a stalled upload), cancellation and client destruction at every
// phase, and no temporary archive left behind on any path.
#include "component/harness.hpp"

#include "runtime_env/packaging.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <thread>

namespace raycl::test {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using tcp = asio::ip::tcp;

constexpr std::string_view package_prefix = "/api/packages/gcs/";

// A directory of its own for one test: the trees to package and the temporary root.
struct scratch {
    scratch() {
        std::string pattern = (fs::temp_directory_path() / "raycl-packages-test-XXXXXX").string();
        BOOST_REQUIRE(::mkdtemp(pattern.data()));
        root = pattern;
        fs::create_directories(root / "tmp");
        fs::create_directories(root / "tmp2");
    }
    ~scratch() {
        std::error_code ignored;
        fs::remove_all(root, ignored);
    }
    scratch(const scratch&) = delete;
    scratch& operator=(const scratch&) = delete;

    void write(const std::string& relative, std::string_view content) const {
        const fs::path path = root / relative;
        fs::create_directories(path.parent_path());
        std::ofstream(path, std::ios::binary) << content;
    }
    std::string path(const std::string& relative) const { return (root / relative).string(); }
    // What is left in the temporary root: must be nothing once an operation returned.
    std::vector<std::string> leftovers() const {
        std::vector<std::string> out;
        for (const auto& entry : fs::directory_iterator(root / "tmp")) out.push_back(entry.path().filename().string());
        return out;
    }
    packaging_options options() const {
        return packaging_options()
            .with_temporary_directory((root / "tmp").string())
            .with_cache_directory((root / "cache").string());
    }

    fs::path root;
};

// Bytes that do not compress (so a package is as large as its files).
std::string random_bytes(std::size_t size, unsigned seed) {
    std::mt19937 engine(seed);
    std::string out(size, '\0');
    for (auto& c : out) c = static_cast<char>(engine());
    return out;
}

// A small project: a module, a data file, an ignored file, a .git directory.
void write_project(const scratch& s, const std::string& dir = "project") {
    s.write(dir + "/main.py", "import helper\nprint(helper.VALUE)\n");
    s.write(dir + "/helper.py", "VALUE = 42\n");
    s.write(dir + "/data/input.txt", std::string(5000, 'd'));
    s.write(dir + "/.gitignore", "*.log\n");
    s.write(dir + "/debug.log", "ignored");
    s.write(dir + "/.git/HEAD", "ref: refs/heads/main\n");
}

// What the client plans for `runtime_env`, computed here without the client (the same code).
prepared_runtime_env planned(const json::object& runtime_env,
                             const packaging_options& options = packaging_options().with_hash_cache(false)) {
    return packaging::prepare_runtime_env(runtime_env, packaging::packaging_environment::system(options), options);
}

// The archive the client must send for the first package of `runtime_env`, built here.
std::string expected_archive(const json::object& runtime_env, const scratch& s) {
    const auto plan = planned(runtime_env, s.options().with_hash_cache(false));
    const auto file = packaging::build_package(plan.packages.at(0), s.options(), (s.root / "tmp2").string());
    std::ifstream in(file.path(), std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The dashboard's package store: GET answers 404 until a PUT stored the name, then 200.
struct package_store {
    std::mutex mutex;
    std::map<std::string, std::string> stored;  // name -> bytes
    std::map<std::string, int> puts;            // name -> PUTs answered 200

    std::string bytes(const std::string& name) {
        std::lock_guard lock(mutex);
        return stored.count(name) ? stored[name] : std::string();
    }
};

std::shared_ptr<package_store> serve_packages(fake_dashboard& dashboard) {
    auto store = std::make_shared<package_store>();
    dashboard.route("GET", std::string(package_prefix) + "*", [store](const recorded_request& request) {
        const std::string name = request.target.substr(package_prefix.size());
        std::lock_guard lock(store->mutex);
        if (store->stored.count(name)) return reply::text(200, "");
        return reply::text(404, "Package gcs://" + name + " does not exist");
    });
    dashboard.route("PUT", std::string(package_prefix) + "*", [store](const recorded_request& request) {
        const std::string name = request.target.substr(package_prefix.size());
        std::lock_guard lock(store->mutex);
        store->stored[name] = request.body;
        ++store->puts[name];
        return reply::text(200, "");
    });
    return store;
}

// POST /api/jobs/ answered with the submission id of the body; the bodies are kept.
std::shared_ptr<std::vector<json::object>> serve_submits(fake_dashboard& dashboard) {
    auto bodies = std::make_shared<std::vector<json::object>>();
    auto mutex = std::make_shared<std::mutex>();
    dashboard.route("POST", "/api/jobs/", [bodies, mutex](const recorded_request& request) {
        json::object body = json::parse(request.body).as_object();
        const std::string id(body.at("submission_id").as_string());
        std::lock_guard lock(*mutex);
        bodies->push_back(std::move(body));
        return reply::json(200, R"({"job_id": ")" + id + R"(", "submission_id": ")" + id + "\"}");
    });
    return bodies;
}

std::string name_of(const std::string& uri) {
    return uri.substr(std::string_view("gcs://").size());
}

// A TCP proxy in front of the fake dashboard: forwards every connection, except that the first
// connection to carry more than `after` request bytes is reset or stalled at that point (an
// upload, whichever strand's connection it takes; small requests pass).
class faulty_proxy {
public:
    enum class fault { reset, stall };

    faulty_proxy(unsigned short upstream, std::size_t after, fault kind)
        : upstream_(upstream), after_(after), fault_(kind) {
        acceptor_.open(tcp::v4());
        acceptor_.set_option(tcp::acceptor::reuse_address(true));
        acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
        acceptor_.listen();
        asio::co_spawn(context_, accept_loop(), asio::detached);
        thread_ = std::thread([this] { context_.run(); });
    }
    ~faulty_proxy() {
        asio::post(context_, [this] { context_.stop(); });
        thread_.join();
    }
    faulty_proxy(const faulty_proxy&) = delete;
    faulty_proxy& operator=(const faulty_proxy&) = delete;

    std::string address() const { return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }
    bool faulted() const { return faulted_; }

private:
    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto client = std::make_shared<tcp::socket>(co_await acceptor_.async_accept(asio::use_awaitable));
            auto server = std::make_shared<tcp::socket>(context_);
            boost::system::error_code ec;
            co_await server->async_connect({asio::ip::make_address("127.0.0.1"), upstream_},
                                           asio::redirect_error(asio::use_awaitable, ec));
            if (ec) continue;
            asio::co_spawn(context_, pump(client, server, true), asio::detached);
            asio::co_spawn(context_, pump(server, client, false), asio::detached);
        }
    }

    asio::awaitable<void> pump(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to, bool requests) {
        std::array<char, 16384> buffer;
        std::size_t forwarded = 0;
        bool faulting = false;
        for (;;) {
            boost::system::error_code ec;
            std::size_t n =
                co_await from->async_read_some(asio::buffer(buffer), asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            if (requests && forwarded + n > after_ && !faulted_.exchange(true)) {
                n = after_ - forwarded;
                faulting = true;
            }
            co_await asio::async_write(*to, asio::buffer(buffer.data(), n),
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec) break;
            forwarded += n;
            if (faulting) break;
        }
        boost::system::error_code ignored;
        if (faulting && fault_ == fault::stall) {
            // Reads nothing more and keeps both sockets open: the client's writes block.
            asio::steady_timer forever(context_, asio::steady_timer::time_point::max());
            co_await forever.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
        }
        if (faulting) from->set_option(tcp::socket::linger(true, 0), ignored);
        from->close(ignored);
        to->close(ignored);
    }

    asio::io_context context_;
    tcp::acceptor acceptor_{context_};
    unsigned short upstream_;
    std::size_t after_;
    fault fault_;
    std::atomic<bool> faulted_{false};
    std::thread thread_;
};

client_options options_via(const fake_dashboard& dashboard, const std::string& address) {
    auto options = options_for(dashboard);
    options.address = address;
    return options;
}

json::object working_dir_env(const scratch& s, const std::string& dir = "project") {
    return json::object{{"working_dir", s.path(dir)}};
}

// Runs `operation` on a context of this thread; `cancel_when` is called from a progress report
// and returns true when the operation must be cancelled at that moment (the signal is emitted
// on the context's thread while the reporting thread waits for it).
struct cancel_on_progress {
    asio::io_context context;
    asio::cancellation_signal signal;
    std::function<bool(const packaging_progress&)> when;
    std::atomic<bool> emitted{false};

    void report(const packaging_progress& progress) {
        if (emitted || !when(progress)) return;
        std::promise<void> done;
        asio::post(context, [&] {
            signal.emit(asio::cancellation_type::terminal);
            done.set_value();
        });
        done.get_future().wait();
        emitted = true;
    }

    template <class T>
    client_error expect_cancelled(asio::awaitable<T> operation) {
        std::exception_ptr failure;
        asio::co_spawn(
            context, std::move(operation),
            asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e, auto&&...) { failure = e; }));
        context.run();
        BOOST_REQUIRE(failure);
        try {
            std::rethrow_exception(failure);
        } catch (const client_error& error) {
            return error;
        }
        BOOST_FAIL("expected a client_error");
        throw std::logic_error("unreachable");
    }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(component_packages)

BOOST_AUTO_TEST_CASE(a_package_the_cluster_lacks_is_put_with_exactly_its_archive_bytes) {
    scratch s;
    write_project(s);
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    client ray(options_for(dashboard));
    const json::object env = working_dir_env(s);
    const std::string expected_uri = planned(env).packages.at(0).uri;

    auto op = ray.prepare_runtime_env(env, s.options());
    const prepared_runtime_env prepared = run_sync(std::move(op));

    BOOST_REQUIRE_EQUAL(prepared.packages.size(), 1u);
    const package_info& package = prepared.packages.front();
    BOOST_TEST(package.uri == expected_uri);
    BOOST_TEST(prepared.runtime_env.at("working_dir").as_string() == expected_uri);
    BOOST_TEST(to_string(package.state) == "uploaded");
    const std::string sent = store->bytes(name_of(expected_uri));
    BOOST_TEST((sent == expected_archive(env, s)));  // bytes: not printed
    BOOST_TEST(package.archive_size.value() == sent.size());
    BOOST_TEST(dashboard.request_count("GET", std::string(package_prefix) + "*") == 1u);
    BOOST_TEST(dashboard.request_count("PUT", std::string(package_prefix) + "*") == 1u);
    const auto put = dashboard.requests().back();
    BOOST_TEST(put.header("content-type").empty());  // as Ray's client: raw bytes, no type
    BOOST_TEST(put.header("content-length") == std::to_string(sent.size()));
    BOOST_TEST(s.leftovers().empty());
}

BOOST_AUTO_TEST_CASE(a_package_the_cluster_has_is_not_sent_again) {
    scratch s;
    write_project(s);
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    auto submits = serve_submits(dashboard);
    client ray(options_for(dashboard));
    std::vector<std::string> phases;
    const auto options = s.options().with_progress([&](const packaging_progress& p) {
        if (phases.empty() || phases.back() != to_string(p.phase)) phases.emplace_back(to_string(p.phase));
    });

    for (int round = 0; round < 2; ++round) {
        phases.clear();
        auto op = ray.submit_job(job_submission("python main.py").with_runtime_env(working_dir_env(s)), options);
        run_sync(std::move(op));
        if (round == 0) BOOST_TEST((phases == std::vector<std::string>{"hashing", "archiving", "uploading"}));
        // The files are younger than the hash cache's racy margin: read (and zipped) again.
        if (round == 1) BOOST_TEST((phases == std::vector<std::string>{"hashing", "archiving", "skipped"}));
    }
    const std::string uri = planned(working_dir_env(s)).packages.at(0).uri;
    BOOST_TEST(store->puts[name_of(uri)] == 1);
    BOOST_TEST(dashboard.request_count("PUT", std::string(package_prefix) + "*") == 1u);
    BOOST_TEST(dashboard.request_count("GET", std::string(package_prefix) + "*") == 2u);
    BOOST_REQUIRE_EQUAL(submits->size(), 2u);
    for (const auto& body : *submits) {
        BOOST_TEST(body.at("runtime_env").at("working_dir").as_string() == uri);
        BOOST_TEST(body.at("entrypoint").as_string() == "python main.py");
    }
    BOOST_TEST(s.leftovers().empty());
}

BOOST_AUTO_TEST_CASE(present_means_no_archive_and_no_put) {
    scratch s;
    write_project(s);
    fake_dashboard dashboard;
    const std::string uri = planned(working_dir_env(s)).packages.at(0).uri;
    dashboard.expect("GET", std::string(package_prefix) + name_of(uri)).reply_with(reply::text(200, ""));
    auto& puts = dashboard.tally("PUT", std::string(package_prefix) + "*");
    client ray(options_for(dashboard));
    auto op = ray.prepare_runtime_env(working_dir_env(s), s.options());
    const auto prepared = run_sync(std::move(op));
    BOOST_TEST(to_string(prepared.packages.at(0).state) == "already_present");
    BOOST_TEST(puts.total() == 0u);
    BOOST_TEST(dashboard.unmatched().empty());
    // The files were new to the hash cache, so the package was zipped while being hashed, in
    // case the cluster lacked it: that archive is gone.
    BOOST_TEST(prepared.packages.at(0).archive_size.has_value());
    BOOST_TEST(s.leftovers().empty());
}

BOOST_AUTO_TEST_CASE(wheels_modules_and_directories_of_py_modules) {
    scratch s;
    s.write("mods/pkg/__init__.py", "X = 1\n");
    s.write("mods/single.py", "Y = 2\n");
    const std::string wheel = random_bytes(3000, 7);
    s.write("mods/raycl_demo-1.0-py3-none-any.whl", wheel);
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    client ray(options_for(dashboard));
    const json::object env{
        {"py_modules", json::array{s.path("mods/pkg"), s.path("mods/single.py"),
                                   s.path("mods/raycl_demo-1.0-py3-none-any.whl"), "s3://bucket/remote.zip"}}};
    auto op = ray.prepare_runtime_env(env, s.options());
    const auto prepared = run_sync(std::move(op));
    const auto& modules = prepared.runtime_env.at("py_modules").as_array();
    BOOST_REQUIRE_EQUAL(modules.size(), 4u);
    BOOST_TEST(modules[2].as_string() == "gcs://raycl_demo-1.0-py3-none-any.whl");
    BOOST_TEST(modules[3].as_string() == "s3://bucket/remote.zip");
    BOOST_REQUIRE_EQUAL(prepared.packages.size(), 3u);
    for (const auto& package : prepared.packages) BOOST_TEST(to_string(package.state) == "uploaded");
    BOOST_TEST((store->bytes("raycl_demo-1.0-py3-none-any.whl") == wheel));  // a wheel is sent as it is
    BOOST_TEST(std::string(modules[0].as_string()).starts_with("gcs://_ray_pkg_"));
    BOOST_TEST(!store->bytes(name_of(std::string(modules[1].as_string()))).empty());
    BOOST_TEST(s.leftovers().empty());
}

BOOST_AUTO_TEST_CASE(pip_sends_the_clusters_commit_and_no_local_path_means_no_package_request) {
    scratch s;
    fake_dashboard dashboard;
    dashboard.expect("GET", "/api/version")
        .reply_with(reply::json(200, R"({"version": "4", "ray_version": "2.60.0", "ray_commit": "b7f4259e",
                                         "session_name": "s"})"));
    auto submits = serve_submits(dashboard);
    client ray(options_for(dashboard));
    const json::object env{{"pip", json::array{"requests", "requests"}}, {"env_vars", json::object{{"A", "1"}}}};
    auto op = ray.submit_job(job_submission("python x.py").with_runtime_env(env));
    run_sync(std::move(op));
    BOOST_REQUIRE_EQUAL(submits->size(), 1u);
    const json::object& sent = submits->front().at("runtime_env").as_object();
    BOOST_TEST(json::serialize(sent) ==
               R"({"pip":{"packages":["requests"],"pip_check":false},"env_vars":{"A":"1"},"_ray_commit":"b7f4259e"})");
    BOOST_TEST(dashboard.request_count("GET", std::string(package_prefix) + "*") == 0u);
}

BOOST_AUTO_TEST_CASE(ray_commit_lookup_failures) {
    const json::object env{{"conda", json::object{{"dependencies", json::array{"pip"}}}}};
    {  // Under token auth without a valid token: the call fails as the submit would, before it.
        fake_dashboard dashboard(fake_dashboard::options{}.require_token("right"));
        auto options = options_for(dashboard);
        options.token = "wrong";
        client ray(options);
        auto op = ray.submit_job(job_submission("python x.py").with_runtime_env(env));
        BOOST_TEST(expect_error(std::move(op)).status() == 403);
        BOOST_TEST(dashboard.request_count("POST", "/api/jobs/") == 0u);
    }
    {  // Any other failure: submitted without _ray_commit.
        fake_dashboard dashboard;
        dashboard.expect("GET", "/api/version").reply_with(reply::text(404, "404: Not Found"));
        auto submits = serve_submits(dashboard);
        client ray(options_for(dashboard));
        auto op = ray.submit_job(job_submission("python x.py").with_runtime_env(env));
        run_sync(std::move(op));
        BOOST_REQUIRE_EQUAL(submits->size(), 1u);
        BOOST_TEST(!submits->front().at("runtime_env").as_object().contains("_ray_commit"));
    }
}

BOOST_AUTO_TEST_CASE(invalid_runtime_envs_are_400_before_any_request) {
    scratch s;
    fake_dashboard dashboard;
    client ray(options_for(dashboard));
    const std::vector<json::object> invalid = {
        {{"working_dir", s.path("missing")}},     {{"pip", json::array{"a"}}, {"uv", json::array{"b"}}},
        {{"env_vars", json::object{{"A", 1}}}},   {{"py_modules", s.path("not-a-list")}},
        {{"working_dir", "s3://bucket/app.whl"}},
    };
    for (const auto& env : invalid) {
        auto op = ray.submit_job(job_submission("true").with_runtime_env(env));
        const auto error = expect_error(std::move(op));
        BOOST_TEST(error.status() == 400, json::serialize(env));
        BOOST_TEST(error.message().find("runtime_env") != std::string::npos, error.message());
    }
    BOOST_TEST(dashboard.request_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_package_over_the_size_limit_is_400_before_any_put) {
    scratch s;
    s.write("big/data.bin", random_bytes(300'000, 1));
    s.write("big/main.py", "print(1)\n");
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    client ray(options_for(dashboard));
    auto op = ray.prepare_runtime_env(working_dir_env(s, "big"), s.options().with_size_limit(100'000));
    const auto error = expect_error(std::move(op));
    BOOST_TEST(error.status() == 400);
    BOOST_TEST(error.message().find("data.bin") != std::string::npos, error.message());
    BOOST_TEST(error.message().find("upload limit") != std::string::npos, error.message());
    BOOST_TEST(dashboard.request_count("PUT", std::string(package_prefix) + "*") == 0u);
    BOOST_TEST(s.leftovers().empty());
}

BOOST_AUTO_TEST_CASE(a_413_is_the_packages_own_too_large_error) {
    scratch s;
    s.write("big/data.bin", random_bytes(2'000'000, 2));
    fake_dashboard dashboard(fake_dashboard::options{}.limit_request_body(64 * 1024));
    dashboard.route("GET", std::string(package_prefix) + "*",
                    [](const recorded_request&) { return reply::text(404, "Package does not exist"); });
    client ray(options_for(dashboard));
    auto op = ray.prepare_runtime_env(working_dir_env(s, "big"), s.options());
    const auto error = expect_error(std::move(op));
    BOOST_TEST(error.status() == 413);
    BOOST_TEST(error.kind() == error_kind::request_too_large);
    BOOST_TEST(error.http_status() == 413);
    BOOST_TEST(error.message().find("413") != std::string::npos, error.message());
    BOOST_TEST(error.message().find("'data.bin'") != std::string::npos, error.message());
    BOOST_TEST(error.message().find(".rayignore") != std::string::npos, error.message());
    BOOST_TEST(error.request().starts_with("PUT /api/packages/gcs/_ray_pkg_"));
    BOOST_TEST(s.leftovers().empty());
}

BOOST_AUTO_TEST_CASE(a_500_on_upload_is_a_clear_error_and_not_repeated) {
    scratch s;
    write_project(s);
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    dashboard.expect("PUT", std::string(package_prefix) + "*")
        .reply_with(reply::text(500, "Traceback ... ValueError: upload_package_to_gcs failed"));
    client ray(options_for(dashboard));
    auto op = ray.prepare_runtime_env(working_dir_env(s), s.options());
    const auto error = expect_error(std::move(op));
    BOOST_TEST(error.status() == 500);
    BOOST_TEST(error.server_body().find("upload_package_to_gcs") != std::string::npos);
    BOOST_TEST(dashboard.request_count("PUT", std::string(package_prefix) + "*") == 1u);
    BOOST_TEST(store->stored.empty());
    BOOST_TEST(s.leftovers().empty());
}

BOOST_AUTO_TEST_CASE(a_500_on_the_existence_check_is_an_error_without_archiving) {
    scratch s;
    write_project(s);
    fake_dashboard dashboard;
    dashboard.expect("GET", std::string(package_prefix) + "*").reply_with(reply::text(500, "pin failed"));
    client ray(options_for(dashboard));
    auto op = ray.prepare_runtime_env(working_dir_env(s), s.options());
    BOOST_TEST(expect_error(std::move(op)).status() == 500);
    BOOST_TEST(dashboard.request_count("PUT", std::string(package_prefix) + "*") == 0u);
    BOOST_TEST(s.leftovers().empty());
}

BOOST_AUTO_TEST_CASE(a_connection_cut_mid_upload_is_retried_from_the_first_byte_and_stored_once) {
    scratch s;
    s.write("big/data.bin", random_bytes(3'000'000, 3));
    s.write("big/main.py", "print(1)\n");
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    faulty_proxy proxy(dashboard.port(), 1'000'000, faulty_proxy::fault::reset);  // 1 MB into the upload
    client ray(options_via(dashboard, proxy.address()));
    std::vector<std::uint64_t> upload_starts;
    const auto options = s.options().with_progress([&](const packaging_progress& p) {
        if (p.phase == packaging_phase::uploading && p.bytes_done == 0) upload_starts.push_back(p.bytes_total);
    });
    const json::object env = working_dir_env(s, "big");
    auto op = ray.prepare_runtime_env(env, options);
    const auto prepared = run_sync(std::move(op));
    BOOST_TEST(proxy.faulted());
    BOOST_TEST(upload_starts.size() == 2u);  // the second attempt starts over
    BOOST_TEST(ray.stats().retries >= 1u);
    const std::string uri = prepared.packages.at(0).uri;
    BOOST_TEST(store->puts[name_of(uri)] == 1);  // the cut attempt never completed a request
    BOOST_TEST((store->bytes(name_of(uri)) == expected_archive(env, s)));
    BOOST_TEST(s.leftovers().empty());
}

BOOST_AUTO_TEST_CASE(a_stalled_upload_is_408_after_the_read_timeout_per_attempt) {
    scratch s;
    s.write("big/data.bin", random_bytes(16'000'000, 4));
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    faulty_proxy proxy(dashboard.port(), 64 * 1024, faulty_proxy::fault::stall);
    auto options = options_via(dashboard, proxy.address());
    options.timeout.read = seconds(0.5);
    options.retry.max_attempts = 1;
    client ray(options);
    const auto start = std::chrono::steady_clock::now();
    auto op = ray.prepare_runtime_env(working_dir_env(s, "big"), s.options());
    const auto error = expect_error(std::move(op));
    BOOST_TEST(error.status() == 408);
    BOOST_TEST(error.request().starts_with("PUT "));
    BOOST_TEST((std::chrono::steady_clock::now() - start < 20s));  // a bound on hangs, not a timing goal
    BOOST_TEST(store->stored.empty());
    BOOST_TEST(s.leftovers().empty());
}

BOOST_AUTO_TEST_CASE(a_stall_after_the_body_is_retried_then_408) {
    scratch s;
    write_project(s);
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    dashboard.expect("PUT", std::string(package_prefix) + "*")
        .reply_with(reply::text(200, "").with_fault(fault::stall_before_headers))
        .times(2);
    auto options = options_for(dashboard);
    options.timeout.read = seconds(0.3);
    options.retry.max_attempts = 2;
    client ray(options);
    auto op = ray.prepare_runtime_env(working_dir_env(s), s.options());
    const auto error = expect_error(std::move(op));
    BOOST_TEST(error.status() == 408);
    BOOST_TEST(dashboard.request_count("PUT", std::string(package_prefix) + "*") == 2u);
    BOOST_TEST(s.leftovers().empty());
}

BOOST_AUTO_TEST_CASE(cancelling_in_every_phase_leaves_nothing_behind) {
    for (const auto phase : {packaging_phase::hashing, packaging_phase::archiving, packaging_phase::uploading}) {
        BOOST_TEST_CONTEXT("cancelled while " << to_string(phase)) {
            scratch s;
            s.write("big/data.bin", random_bytes(8'000'000, 5));
            s.write("big/other.bin", random_bytes(4'000'000, 6));
            fake_dashboard dashboard;
            auto store = serve_packages(dashboard);
            client ray(options_for(dashboard));
            cancel_on_progress canceller;
            // Planning zips files new to the hash cache while hashing them: its hashing phase
            // reads nothing (one report), the cancellation lands in the first read after it.
            canceller.when = [phase](const packaging_progress& p) {
                return p.phase == phase && (p.bytes_done > 0 || phase == packaging_phase::hashing);
            };
            const auto options = s.options().with_progress([&](const packaging_progress& p) { canceller.report(p); });
            const auto error = canceller.expect_cancelled(ray.prepare_runtime_env(working_dir_env(s, "big"), options));
            BOOST_TEST(error.kind() == error_kind::cancelled, error.what());
            BOOST_TEST(canceller.emitted);
            BOOST_TEST(store->stored.empty());
            BOOST_TEST(s.leftovers().empty());
            BOOST_TEST(dashboard.request_count("PUT", std::string(package_prefix) + "*") == 0u);
        }
    }
}

BOOST_AUTO_TEST_CASE(a_progress_callback_that_throws_abandons_the_operation) {
    scratch s;
    write_project(s);
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    client ray(options_for(dashboard));
    const auto options = s.options().with_progress([](const packaging_progress& p) {
        if (p.phase == packaging_phase::archiving) throw std::runtime_error("user pressed stop");
    });
    auto op = ray.prepare_runtime_env(working_dir_env(s), options);
    const auto error = expect_error(std::move(op));
    BOOST_TEST(error.kind() == error_kind::cancelled);
    BOOST_TEST(error.message().find("user pressed stop") != std::string::npos, error.message());
    BOOST_TEST(s.leftovers().empty());
}

BOOST_AUTO_TEST_CASE(destroying_the_client_mid_operation_ends_it_and_removes_the_archive) {
    for (const auto phase : {packaging_phase::hashing, packaging_phase::archiving, packaging_phase::uploading}) {
        BOOST_TEST_CONTEXT("destroyed while " << to_string(phase)) {
            scratch s;
            s.write("big/data.bin", random_bytes(8'000'000, 8));
            s.write("big/other.bin", random_bytes(4'000'000, 9));
            fake_dashboard dashboard;
            auto store = serve_packages(dashboard);
            // The upload stalls 1 MB in, so that it is still under way when the client goes.
            faulty_proxy proxy(dashboard.port(), 1'000'000, faulty_proxy::fault::stall);
            auto ray = std::make_unique<client>(options_via(dashboard, proxy.address()));
            std::promise<void> reached;
            std::atomic<bool> signalled{false};
            std::promise<void> destroyed;
            auto destroyed_future = destroyed.get_future().share();
            const auto options = s.options().with_progress([&, phase](const packaging_progress& p) {
                if (p.phase != phase || (p.bytes_done == 0 && phase != packaging_phase::hashing) ||
                    signalled.exchange(true))
                    return;
                reached.set_value();
                // File work (on raycl's packaging thread) waits until the client is gone, so its
                // next report sees it; an upload (on the client's own thread) must not block.
                if (phase != packaging_phase::uploading) destroyed_future.wait();
            });
            asio::io_context context;
            std::exception_ptr failure;
            bool finished = false;
            asio::co_spawn(context, ray->prepare_runtime_env(working_dir_env(s, "big"), options),
                           [&](std::exception_ptr e, const prepared_runtime_env&) {
                               failure = e;
                               finished = true;
                           });
            std::thread runner([&] { context.run(); });
            reached.get_future().wait();
            ray.reset();
            destroyed.set_value();
            runner.join();
            BOOST_TEST(finished);
            BOOST_REQUIRE(failure);
            try {
                std::rethrow_exception(failure);
            } catch (const client_error& error) {
                BOOST_TEST(error.kind() == error_kind::cancelled, error.what());
            }
            BOOST_TEST(store->stored.empty());
            BOOST_TEST(s.leftovers().empty());
        }
    }
}

BOOST_AUTO_TEST_CASE(serve_deploy_uploads_local_directories_and_keeps_the_rest) {
    scratch s;
    write_project(s);
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    auto deployed = std::make_shared<std::string>();
    dashboard.route("PUT", "/api/serve/applications/", [deployed](const recorded_request& request) {
        *deployed = request.body;
        return reply::text(200, "");
    });
    client ray(options_for(dashboard));
    json::object config{
        {"proxy_location", "HeadOnly"},
        {"applications",
         json::array{json::object{{"name", "app"},
                                  {"import_path", "main:app"},
                                  {"runtime_env", json::object{{"working_dir", s.path("project")},
                                                               {"env_vars", json::object{{"A", "1"}}}}}},
                     json::object{{"name", "remote"},
                                  {"import_path", "x:app"},
                                  {"runtime_env", json::object{{"working_dir", "s3://b/x.zip"}}}}}}};
    auto op = ray.deploy_serve_applications(config, s.options());
    run_sync(std::move(op));
    const json::object sent = json::parse(*deployed).as_object();
    const auto& apps = sent.at("applications").as_array();
    const std::string uri = planned(working_dir_env(s)).packages.at(0).uri;
    BOOST_TEST(apps[0].at("runtime_env").at("working_dir").as_string() == uri);
    BOOST_TEST(apps[0].at("runtime_env").at("env_vars").at("A").as_string() == "1");
    BOOST_TEST(apps[1].at("runtime_env").at("working_dir").as_string() == "s3://b/x.zip");
    BOOST_TEST(sent.at("proxy_location").as_string() == "HeadOnly");
    BOOST_TEST(store->puts[name_of(uri)] == 1);
    BOOST_TEST(s.leftovers().empty());

    json::object bad{
        {"applications", json::array{json::object{{"name", "broken"},
                                                  {"import_path", "main:app"},
                                                  {"runtime_env", json::object{{"working_dir", s.path("nowhere")}}}}}}};
    auto failing = ray.deploy_serve_applications(bad, s.options());
    const auto error = expect_error(std::move(failing));
    BOOST_TEST(error.status() == 400);
    BOOST_TEST(error.message().starts_with("applications[0] 'broken': runtime_env.working_dir"), error.message());
}

BOOST_AUTO_TEST_CASE(the_dry_run_body_is_what_submit_posts) {
    scratch s;
    write_project(s);
    fake_dashboard dashboard;
    auto store = serve_packages(dashboard);
    auto submits = serve_submits(dashboard);
    client ray(options_for(dashboard));
    const auto submission =
        job_submission("python main.py")
            .with_submission_id("dry_1")
            .with_runtime_env(json::object{{"working_dir", s.path("project")}, {"excludes", json::array{"data/"}}})
            .with_num_cpus(1);
    const json::object dry = dry_run_submission(submission, s.options());
    BOOST_TEST(dashboard.request_count() == 0u);
    auto op = ray.submit_job(submission, s.options());
    BOOST_TEST(run_sync(std::move(op)) == "dry_1");
    BOOST_REQUIRE_EQUAL(submits->size(), 1u);
    BOOST_TEST(json::serialize(submits->front()) == json::serialize(dry));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
