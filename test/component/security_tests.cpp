// Security checks of docs/fault-matrix.md: TLS verification on by default, a canary token
// pushed through every error path never shows in any error text or in anything written to
// stderr, hostile ids and header values rejected before any I/O, size caps that hold.
#include "component/tail_harness.hpp"

#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <unistd.h>

namespace raycl::test {

using namespace tail_harness;

namespace {

const std::string canary = "tok_CANARY_5e1f0c9a7b3d";
const std::string version_body = R"({"version": "4", "ray_version": "2.60.0", "ray_commit": "c", "session_name": "s"})";

/// Everything written to file descriptor 2 (std::cerr, std::clog, stdio's stderr) while it lives.
class stderr_capture {
public:
    stderr_capture() : file_(std::tmpfile()) {
        std::cerr.flush();
        std::fflush(stderr);
        saved_ = ::dup(2);
        ::dup2(::fileno(file_), 2);
    }
    ~stderr_capture() { restore(); }
    stderr_capture(const stderr_capture&) = delete;
    stderr_capture& operator=(const stderr_capture&) = delete;

    /// Restores fd 2 and returns what was written.
    std::string restore() {
        if (saved_ >= 0) {
            std::cerr.flush();
            std::fflush(stderr);
            ::dup2(saved_, 2);
            ::close(saved_);
            saved_ = -1;
            std::rewind(file_);
            char buffer[4096];
            for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, file_)) > 0;) text_.append(buffer, n);
            std::fclose(file_);
        }
        return text_;
    }

private:
    std::FILE* file_;
    int saved_ = -1;
    std::string text_;
};

/// Collects the texts of client_errors and checks none holds the canary.
struct leak_detector {
    std::vector<std::string> texts;
    std::size_t errors = 0;

    void add(const client_error& error) {
        ++errors;
        for (const std::string& text :
             {std::string(error.what()), error.message(), error.server_body(), error.request()})
            texts.push_back(text);
    }
    template <class T>
    void expect_failure(asio::awaitable<T> operation, const std::string& what) {
        try {
            run_sync(std::move(operation));
            BOOST_ERROR("no error: " << what);
        } catch (const client_error& error) {
            add(error);
        }
    }
    void expect_construction_failure(const client_options& options, const std::string& what) {
        try {
            client ray(options);
            BOOST_ERROR("no error: " << what);
        } catch (const client_error& error) {
            add(error);
        }
    }
};

/// Reads a tail to its end; the error that ended it, if any.
asio::awaitable<void> drain(client& ray, tail_options options) {
    auto stream = co_await ray.tail_job_logs(job_id, options);
    while (co_await stream.next()) {}
}

/// The ways a caller hands raycl the canary: as the token, as a sensitive header and a cookie,
/// or spelled out as an Authorization header.
std::vector<std::function<void(client_options&)>> credential_styles() {
    return {
        [](client_options& o) {
            o.token = canary;
            o.headers = {{"X-Api-Key", canary}};
            o.cookies = {{"session", canary}};
        },
        [](client_options& o) {
            o.headers = {{"Authorization", "Bearer " + canary}};
        },
        [](client_options& o) {
            o.token = canary;
            o.token_header = token_header::x_ray_authorization;
        },
    };
}

client_options base_options(const fake_dashboard& dashboard) {
    auto options = options_for(dashboard);
    options.retry.max_attempts = 1;
    options.timeout.connect = seconds(0.5);
    options.timeout.read = seconds(0.5);
    options.max_idle_connections_per_strand = 0;
    return options;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(component_security)

BOOST_AUTO_TEST_CASE(tls_verification_is_on_by_default) {
    BOOST_TEST(client_options{}.tls.verify_peer);
    fake_dashboard dashboard(fake_dashboard::options{}.use_tls());
    dashboard.expect("GET", "/api/version").reply_with(reply::json(200, version_body)).repeatedly();
    scripted_job job;
    job.install(dashboard, 0, "line\n");
    dashboard.websocket_route(
        tail_target, [](const recorded_request&) { return websocket_script{}.send_text("line\n").close(1000); });
    auto options = base_options(dashboard);
    {
        client ray(options);  // the server's certificate is signed by a CA nobody trusts
        const auto error = expect_error(ray.get_version());
        BOOST_TEST(error.status() == 503);
        BOOST_TEST(error.message().find("certificate") != std::string::npos, error.message());
        BOOST_TEST(expect_error(ray.tail_job_logs(job_id, websocket_options())).status() == 503);
    }
    BOOST_TEST(dashboard.requests().empty());  // nothing was sent to the untrusted server
    options.tls.ca_file = tls_fixture("ca.pem");
    client trusting(options);
    BOOST_TEST(run_sync(trusting.get_version()).version == "4");
    BOOST_TEST(run_sync(tail_all(trusting, websocket_options())) == "line\n");  // wss with the CA file
    // A CA directory in OpenSSL's hashed layout (`openssl rehash`: <subject hash>.0), as
    // Python's requests takes for `ray job submit --verify DIR`.
    const auto ca_dir = std::filesystem::temp_directory_path() / ("raycl-ca-dir-" + std::to_string(getpid()));
    std::filesystem::create_directories(ca_dir);
    {
        std::ifstream ca_pem(tls_fixture("ca.pem"), std::ios::binary);
        const std::string pem{std::istreambuf_iterator<char>(ca_pem), std::istreambuf_iterator<char>()};
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())),
                                                      &BIO_free);
        std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                         &X509_free);
        BOOST_TEST_REQUIRE(static_cast<bool>(cert));
        char name[16];
        std::snprintf(name, sizeof name, "%08lx.0", X509_subject_name_hash(cert.get()));
        std::ofstream(ca_dir / name) << pem;
    }
    options.tls.ca_file = ca_dir.string();
    client by_directory(options);
    BOOST_TEST(run_sync(by_directory.get_version()).version == "4");
    // The same directory without the certificate trusts nobody new.
    const auto empty_dir = ca_dir / "empty";
    std::filesystem::create_directories(empty_dir);
    options.tls.ca_file = empty_dir.string();
    client by_empty(options);
    BOOST_TEST(expect_error(by_empty.get_version()).status() == 503);
    std::filesystem::remove_all(ca_dir);
}

BOOST_AUTO_TEST_CASE(the_canary_token_never_leaks_from_any_error_path) {
    leak_detector leaks;
    stderr_capture captured;
    // A hostile or careless server echoes credentials everywhere it can.
    const std::string echo = "denied: Authorization: Bearer " + canary + " token=" + canary + " {\"token\": \"" +
                             canary + "\"} cookie session=" + canary + " bare " + canary;
    const std::string html_echo = "<html><body><pre>" + echo + "</pre></body></html>";
    for (const auto& style : credential_styles()) {
        // 1. Every status, with text, HTML and JSON bodies, and echoed headers.
        {
            fake_dashboard dashboard;
            for (int status : {301, 302, 400, 401, 403, 404, 405, 409, 413, 422, 429, 500, 501, 502, 503, 504}) {
                auto text = reply::text(status, echo).with_header("X-Echo", "Bearer " + canary);
                text.headers.emplace_back("Location", "http://127.0.0.1/?token=" + canary);
                dashboard.expect("GET", "/api/version").reply_with(text);
                auto html = reply::text(status, html_echo);
                html.content_type = "text/html";
                dashboard.expect("GET", "/api/version").reply_with(html);
                dashboard.expect("GET", "/api/version")
                    .reply_with(reply::json(status, R"({"error": ")" + echo + R"(", "token": ")" + canary + "\"}"));
            }
            auto options = base_options(dashboard);
            style(options);
            client ray(options);
            for (int i = 0; i < 16 * 3; ++i) leaks.expect_failure(ray.get_version(), "status echo");
        }
        // 2. Malformed, truncated and mistyped JSON carrying the canary; POST errors.
        {
            fake_dashboard dashboard;
            dashboard.expect("GET", "/api/jobs/")
                .reply_with(reply::json(200, "{\"token\": \"" + canary + "\", broken"));
            dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, "[\"" + canary));
            dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, "[{\"status\": \"" + canary + "\"}]"));
            dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, "[{\"type\": \"" + canary + "\"}]"));
            dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, "{\"" + canary + "\": 1}"));
            dashboard.expect("GET", "/api/jobs/j1").reply_with(reply::json(200, "{\"status\": " + canary + "}"));
            dashboard.expect("POST", "/api/jobs/").reply_with(reply::text(500, echo));
            dashboard.expect("POST", "/api/jobs/j1/stop").reply_with(reply::text(500, echo));
            dashboard.expect("DELETE", "/api/jobs/j1").reply_with(reply::text(400, echo));
            dashboard.expect("GET", "/api/jobs/j1/logs").reply_with(reply::text(500, echo));
            dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, "[" + std::string(8192, ' ') + "]"));
            auto options = base_options(dashboard);
            style(options);
            options.max_response_bytes = 4096;
            client ray(options);
            for (int i = 0; i < 5; ++i) leaks.expect_failure(ray.list_jobs(), "bad JSON");
            leaks.expect_failure(ray.get_job("j1"), "bad JSON");
            job_submission submission;
            submission.entrypoint = "echo hi";
            leaks.expect_failure(ray.submit_job(submission), "submit");
            leaks.expect_failure(ray.stop_job("j1"), "stop");
            leaks.expect_failure(ray.delete_job("j1"), "delete");
            leaks.expect_failure(ray.list_job_logs("j1"), "logs");
            leaks.expect_failure(ray.list_jobs(), "cap");
        }
        // 3. Timeouts, resets, garbage, and the canary as the dashboard's base path.
        {
            fake_dashboard dashboard;
            dashboard.expect("GET", "/" + canary + "/api/version")
                .reply_with(reply::json(200, "{}").with_fault(fault::stall_before_headers));
            dashboard.expect("GET", "/" + canary + "/api/version")
                .reply_with(reply::json(200, "{}").with_fault(fault::reset_before_headers));
            dashboard.expect("GET", "/" + canary + "/api/version")
                .reply_with(reply::json(200, "{}").with_fault(fault::malformed_status_line));
            dashboard.expect("GET", "/" + canary + "/api/version")
                .reply_with(
                    reply::raw_response("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + canary + "\r\n"));
            dashboard.expect("GET", "/" + canary + "/api/version").reply_with(reply::text(404, echo));
            auto options = base_options(dashboard);
            style(options);
            options.address = dashboard.address() + "/" + canary;
            client ray(options);
            for (int i = 0; i < 5; ++i) leaks.expect_failure(ray.get_version(), "transport");
            wait_options wait;
            wait.deadline = std::chrono::milliseconds(1);
            leaks.expect_failure(ray.wait_for_job("j1", wait), "wait deadline or 599");
        }
        // 4. Refused, DNS, TLS: untrusted, wrong host, not TLS at all, a handshake that hangs.
        {
            client_options options;
            {
                fake_dashboard closed;
                options = base_options(closed);
            }
            style(options);
            leaks.expect_failure(client(options).get_version(), "refused");
            options.address = "http://raycl-no-such-host.invalid:8265";
            leaks.expect_failure(client(options).get_version(), "dns");
            fake_dashboard untrusted(fake_dashboard::options{}.use_tls());
            options.address = untrusted.address();
            leaks.expect_failure(client(options).get_version(), "untrusted");
            options.tls.ca_file = tls_fixture("ca.pem");
            fake_dashboard wrong_host(fake_dashboard::options{}.use_tls("wrong_host"));
            options.address = wrong_host.address();
            leaks.expect_failure(client(options).get_version(), "wrong host");
            fake_dashboard plain;
            options.address = "https://127.0.0.1:" + std::to_string(plain.port());
            leaks.expect_failure(client(options).get_version(), "not TLS");
            fake_dashboard stalling(fake_dashboard::options{}.stalling_tls_handshake());
            options.address = stalling.address();
            leaks.expect_failure(client(options).get_version(), "handshake stall");
        }
        // 5. Tails: declined upgrades echoing the canary, odd closes with it as the reason,
        //    HTTP stream errors, a frame over the cap, silence.
        {
            fake_dashboard dashboard;
            scripted_job job;
            job.install(dashboard, 1000, echo);
            auto connections = std::make_shared<std::atomic<int>>(0);
            dashboard.websocket_route(tail_target, [connections, echo](const recorded_request&) {
                switch (connections->fetch_add(1)) {
                    case 0:
                        return websocket_script::decline(reply::text(401, echo));
                    case 1:
                        return websocket_script::decline(reply::text(403, echo));
                    case 2:
                        return websocket_script::decline(reply::text(404, echo));
                    case 3:
                        return websocket_script::decline(reply::text(500, echo));
                    case 4:
                        return websocket_script{}.send_text("a\n").close(4000, "Bearer " + canary);
                    case 5:
                        return websocket_script{}.send_raw(std::string("\x81\x7f\x00\x00\x01\x00\x00\x00\x00\x00", 10));
                    default:
                        return websocket_script{}.stall();
                }
            });
            dashboard.expect("GET", stream_target)
                .reply_with(reply::text(500, "Agent for node id " + canary + " doesn't exist."));
            auto options = base_options(dashboard);
            style(options);
            client ray(options);
            auto tail = websocket_options();
            tail.max_reconnects = 0;
            tail.stream_timeout = seconds(0.3);
            for (int i = 0; i < 7; ++i) leaks.expect_failure(drain(ray, tail), "tail " + std::to_string(i));
            tail.protocol = tail_protocol::stream;
            leaks.expect_failure(drain(ray, tail), "stream tail");
        }
        // 6. Rejected options: never echo the value.
        {
            client_options options;
            options.discover_token = false;
            style(options);
            auto bad = options;
            bad.address = "http://user:" + canary + "@127.0.0.1:8265";
            leaks.expect_construction_failure(bad, "userinfo");
            bad.address = "http://127.0.0.1:8265/?token=" + canary;
            leaks.expect_construction_failure(bad, "query");
            bad.address = "http://127.0.0.1:8265/#" + canary;
            leaks.expect_construction_failure(bad, "fragment");
            bad.address = "http://127.0.0.1:8265";
            bad.headers = {{"X-Api-Key", canary + "\r\nX-Evil: 1"}};
            leaks.expect_construction_failure(bad, "header CRLF");
            bad.headers.clear();
            bad.cookies = {{"session", canary + ";evil"}};
            leaks.expect_construction_failure(bad, "cookie");
            bad.cookies.clear();
            bad.token = canary + " x";
            leaks.expect_construction_failure(bad, "token with a space");
        }
    }
    const std::string written = captured.restore();
    BOOST_TEST(leaks.errors >= 3u * 75u, "error paths exercised: " << leaks.errors);
    std::size_t leaked = 0;
    for (const auto& text : leaks.texts) {
        if (text.find("CANARY") != std::string::npos) {
            ++leaked;
            BOOST_ERROR("the canary leaked: " << text);
        }
    }
    BOOST_TEST(leaked == 0u);
    BOOST_TEST(written.find("CANARY") == std::string::npos, written);
    BOOST_TEST_MESSAGE("canary: " << leaks.errors << " errors, " << leaks.texts.size() << " texts checked, "
                                  << written.size() << " bytes written to stderr");
}

BOOST_AUTO_TEST_CASE(hostile_ids_are_rejected_before_any_io) {
    fake_dashboard dashboard;
    {
        client ray(options_for(dashboard));
        const std::vector<std::string> ids = {"../x",
                                              "..",
                                              "a/../b",
                                              "%2F",
                                              "a%2Fb",
                                              "a%2fb",
                                              "%2e%2e",
                                              "a\rb",
                                              "a\nb",
                                              "a\r\nHost: evil",
                                              std::string("a\0b", 3),
                                              std::string(1, '\0'),
                                              "a?b",
                                              "a#b",
                                              "a b",
                                              "a/b",
                                              "a\\b",
                                              "\xc3\xa9"};
        for (const auto& id : ids) {
            for (auto error :
                 {expect_error(ray.get_job(id)), expect_error(ray.stop_job(id)), expect_error(ray.delete_job(id)),
                  expect_error(ray.list_job_logs(id)), expect_error(ray.wait_for_job(id)),
                  expect_error(ray.tail_job_logs(id)), expect_error(ray.websocket_tail_job_logs(id)),
                  expect_error(ray.stream_tail_job_logs(id)), expect_error(ray.get_node(id)),
                  expect_error(ray.get_task(id)), expect_error(ray.get_actor(id))}) {
                BOOST_TEST(error.status() == 400);
                BOOST_TEST(error.kind() == error_kind::invalid_argument);
                BOOST_TEST(error.request().empty());
            }
            job_submission submission;
            submission.entrypoint = "echo hi";
            submission.submission_id = id;
            BOOST_TEST(expect_error(ray.submit_job(submission)).status() == 400);
        }
        for (const std::string& name : {std::string("app\r\nX: 1"), std::string("app\0", 4), std::string("a\nb")}) {
            BOOST_TEST(expect_error(ray.get_serve_application(name)).status() == 400);
            BOOST_TEST(expect_error(ray.delete_serve_application(name)).status() == 400);
        }
    }
    BOOST_TEST(dashboard.requests().empty());
    BOOST_TEST(dashboard.connections_accepted() == 0u);
}

BOOST_AUTO_TEST_CASE(header_values_with_cr_or_lf_are_rejected) {
    fake_dashboard dashboard;
    const auto rejected = [](const client_options& options) {
        try {
            client ray(options);
        } catch (const client_error& error) {
            return error.status() == 400 && error.kind() == error_kind::invalid_argument;
        }
        return false;
    };
    auto options = options_for(dashboard);
    for (const std::string& bad :
         {std::string("a\rb"), std::string("a\nb"), std::string("a\r\nX-Injected: 1"), std::string("a\0b", 3)}) {
        auto with_header = options;
        with_header.headers = {{"X-Team", bad}};
        BOOST_TEST(rejected(with_header));
        with_header.headers = {{bad, "value"}};
        BOOST_TEST(rejected(with_header));
        auto with_cookie = options;
        with_cookie.cookies = {{"session", bad}};
        BOOST_TEST(rejected(with_cookie));
        auto with_token = options;
        with_token.token = "tok" + bad;
        BOOST_TEST(rejected(with_token));
    }
    // A token found in the environment is checked like one passed in.
    auto discovering = options;
    discovering.discover_token = true;
    ::setenv("RAY_AUTH_TOKEN", "tok\r\nX-Injected: 1", 1);
    const bool env_rejected = rejected(discovering);
    ::unsetenv("RAY_AUTH_TOKEN");
    BOOST_TEST(env_rejected);
    BOOST_TEST(dashboard.connections_accepted() == 0u);
}

BOOST_AUTO_TEST_CASE(response_and_frame_size_caps_hold) {
    fake_dashboard dashboard;
    const std::size_t cap = 64 * 1024;
    // A declared length over the cap, a chunked body growing past it, a header of 1 MiB.
    dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, "[" + std::string(16 * cap, ' ') + "]"));
    auto chunked = reply::json(200, {});
    chunked.chunked = true;
    for (int i = 0; i < 32; ++i) chunked.chunks.push_back(std::string(cap / 2, ' '));
    dashboard.expect("GET", "/api/jobs/").reply_with(chunked);
    dashboard.expect("GET", "/api/jobs/")
        .reply_with(reply::raw_response("HTTP/1.1 200 OK\r\nX-Huge: " + std::string(1 << 20, 'h') +
                                        "\r\nContent-Length: 2\r\n\r\n[]"));
    dashboard.expect("GET", "/api/jobs/").reply_with(reply::json(200, "[]"));
    scripted_job job;
    job.install(dashboard, 1000, "");
    dashboard.websocket_route(tail_target, [](const recorded_request&) {
        // One TEXT frame of 9 MiB: over the 8 MiB frame cap.
        std::string frame("\x81\x7f", 2);
        const std::uint64_t size = 9u << 20;
        for (int shift = 56; shift >= 0; shift -= 8) frame.push_back(static_cast<char>(size >> shift));
        frame += std::string(size, 'x');
        return websocket_script{}.send_raw(frame).stall();
    });
    auto options = base_options(dashboard);
    options.max_response_bytes = cap;
    {
        client ray(options);
        for (int i = 0; i < 2; ++i) {
            const auto error = expect_error(ray.list_jobs());
            BOOST_TEST(error.status() == 429, error.what());
            BOOST_TEST(error.kind() == error_kind::limit_exceeded);
        }
        // Beast's 8 KiB header limit: reported as a protocol error (no dashboard sends that).
        const auto header_error = expect_error(ray.list_jobs());
        BOOST_TEST(header_error.status() == 500, header_error.what());
        BOOST_TEST(header_error.kind() == error_kind::protocol_error);
        BOOST_TEST(run_sync(ray.list_jobs()).empty());  // the client still works
        auto tail = websocket_options();
        tail.max_reconnects = 3;
        const auto error = expect_error(drain(ray, tail));
        BOOST_TEST(error.status() == 429, error.what());
        std::size_t upgrades = 0;
        for (const auto& request : dashboard.requests()) upgrades += request.target == tail_target;
        BOOST_TEST(upgrades == 1u);
    }
    BOOST_TEST(dashboard.wait_for_open_connections(0, 5s));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace raycl::test
