// raycl_submit_soak: submits exactly once under faults, packages included (docs/hardening.md,
// "Exactly-once submits").
//
//   raycl_submit_soak [--jobs N (2000)] [--rounds R (1)] [--before P] [--after P] [--mid P]
//                     [--attempts A (10)] [--deadline S (60)] [--threads T (2)] [--seed X]
//                     [--packaged-every E (4)] [--package-dirs K (50)] [--json]
//
// Each round starts N `submit_job` calls at once through the chaos proxy (chaos_proxy.hpp) against
// the fake dashboard, which answers a submit as Ray 2.60 does: a new submission id is a new job
// (200 with the id), a known one is refused with 500 and "Please use a different submission_id"
// (docs/ray-api-notes.md). The proxy draws one fault per request: cut before the request reaches
// the server (probability P of --before, default 0.1), after the request went up but before the
// answer (--after, 0.1: the job exists, the client does not know), or in the middle of the answer
// (--mid, 0.1). Even calls give their own submission id, odd calls let raycl make one. Every
// call's entrypoint is unique, so the fake's jobs tell which call made which job.
//
// Packages: every E-th call (call % E == 1; E 0: none) carries a runtime_env with a local
// working_dir, one of K directories made for the round, and every second of those also a
// py_modules directory (one of K): raycl hashes them, asks GET /api/packages/gcs/NAME and PUTs
// the zip when the fake answers 404. The fake keeps packages as Ray 2.60's job head does (GET:
// 200 empty when present, 404 "Package gcs://NAME does not exist"; PUT: stores the bytes under the
// name, overwriting, 200 empty), a 64-bit hash and the size of them, not the bytes. Several calls
// share each directory, so one URI is often PUT by concurrent calls as well as by retries. Before
// the round a reference client, straight to a clean fake (no proxy, no hash cache), prepares each
// directory once: the URI and bytes raycl builds for it.
//
// Checks (exit 0 only when all hold; the JSON's "checks"): every call ended within --deadline
// seconds, none hung; each returned its submission id (a given one unchanged) or a client_error
// with a status and a message; every call that returned an id has exactly one job, under that
// id, with its entrypoint; no call has two jobs and no job belongs to no call (a failed call
// has at most one: its earlier attempt may have landed); each kind of fault was injected and a
// retry met the duplicate answer (so the exactly-once path ran); the fake saw no unexpected
// request and had no error of its own. Packages: every PUT of a URI carried exactly the reference
// bytes of that URI (so a PUT repeated after a drop stored the same bytes), and some URI was PUT
// more than once; a PUT was cut after it had reached the fake (a retry after a drop); no job was
// submitted before the packages it names were stored; every job of a packaged call names the
// reference URIs of its directories, each stored with the reference bytes at the end of the round.
// The fake's records are cleared after each round's checks (memory bounded by one round).
#include "soak/chaos_proxy.hpp"
#include "soak/flags.hpp"
#include "soak/process.hpp"
#include "support/fake_dashboard.hpp"

#include <raycl/raycl.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string_view>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace json = boost::json;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct settings {
    std::size_t jobs = 2000;
    std::size_t rounds = 1;
    raycl::soak::request_faults faults{0.1, 0.1, 0.1};
    int attempts = 10;
    double deadline = 60;
    unsigned threads = 2;
    std::uint64_t seed = 1;
    std::size_t packaged_every = 4;  // 0: no packages
    std::size_t package_dirs = 50;
    bool json = false;
};

[[noreturn]] void usage(const std::string& problem) {
    raycl::soak::usage_exit("raycl_submit_soak", problem,
                            "[--jobs N] [--rounds R] [--before P] [--after P] [--mid P] "
                            "[--attempts A] [--deadline S] [--threads T] [--seed X] [--packaged-every E] "
                            "[--package-dirs K] [--json]");
}

settings parse(int argc, char** argv) {
    settings s;
    CLI::App app{"Exactly-once submits under injected faults"};
    app.add_option("--jobs", s.jobs);
    app.add_option("--rounds", s.rounds);
    app.add_option("--before", s.faults.before_request);
    app.add_option("--after", s.faults.after_request);
    app.add_option("--mid", s.faults.mid_response);
    app.add_option("--attempts", s.attempts);
    app.add_option("--deadline", s.deadline);
    app.add_option("--threads", s.threads);
    app.add_option("--seed", s.seed);
    app.add_option("--packaged-every", s.packaged_every);
    app.add_option("--package-dirs", s.package_dirs);
    app.add_flag("--json", s.json);
    raycl::soak::parse_flags(app, argc, argv, usage);
    const auto& f = s.faults;
    if (s.jobs == 0 || s.jobs > 100'000) usage("--jobs must be in [1, 100000]");
    if (s.rounds == 0 || s.rounds > 10'000) usage("--rounds must be in [1, 10000]");
    for (double p : {f.before_request, f.after_request, f.mid_response})
        if (!(p >= 0 && p <= 1)) usage("fault probabilities must be in [0, 1]");
    if (f.before_request + f.after_request + f.mid_response > 1) usage("the fault probabilities add up to more than 1");
    if (s.attempts < 1 || s.attempts > 100) usage("--attempts must be in [1, 100]");
    if (!(s.deadline > 0)) usage("--deadline must be > 0");
    if (s.threads == 0 || s.threads > 64) usage("--threads must be in [1, 64]");
    if (s.packaged_every > 100'000) usage("--packaged-every must be in [0, 100000]");
    if (s.package_dirs == 0 || s.package_dirs > 10'000) usage("--package-dirs must be in [1, 10000]");
    return s;
}

/// What a package's bytes are known by: a 64-bit hash and the size (the fake keeps no bytes).
struct package_bytes {
    std::size_t hash = 0;
    std::size_t size = 0;
    bool operator==(const package_bytes&) const = default;
};

package_bytes bytes_of(std::string_view body) {
    return {std::hash<std::string_view>{}(body), body.size()};
}

/// "gcs://NAME" of a request to /api/packages/gcs/NAME (NAME as sent: raycl's names need no
/// escaping), or "" for another protocol.
std::string package_uri(const std::string& target) {
    constexpr std::string_view prefix = "/api/packages/gcs/";
    if (target.rfind(prefix, 0) != 0) return {};
    return "gcs://" + target.substr(prefix.size());
}

/// The fake's packages, as Ray 2.60's job head keeps them (ray-2.60-beyond-jobs.md 1.7,
/// docs/ray-api-notes.md "Packages"): GET answers 200 with an empty body when the package is
/// stored, 404 "Package gcs://NAME does not exist" when not; PUT stores the body under the name
/// (overwriting, the server never checks the bytes) and answers 200 with an empty body. Another
/// protocol than gcs is a 500, as Ray's unhandled NotImplementedError. Per URI it keeps the
/// stored bytes' hash, the number of PUTs and how many of them carried other bytes than the
/// first one.
class ray_like_packages {
public:
    struct record {
        package_bytes first_put;           // the bytes of the first PUT
        package_bytes stored;              // the bytes stored now (the last PUT's)
        std::uint64_t puts = 0;            // PUTs of this URI
        std::uint64_t differing_puts = 0;  // PUTs whose bytes differ from the first PUT's
    };

    explicit ray_like_packages(raycl::test::fake_dashboard& dashboard) {
        dashboard.route("GET", "/api/packages/*", [this](const raycl::test::recorded_request& request) {
            const std::string uri = package_uri(request.target);
            if (uri.empty())
                return raycl::test::reply::text(500, "500 Internal Server Error\n\nServer got itself in trouble");
            if (has(uri)) return raycl::test::reply::text(200, "");
            return raycl::test::reply::text(404, "Package " + uri + " does not exist");
        });
        dashboard.route("PUT", "/api/packages/*", [this](const raycl::test::recorded_request& request) {
            const std::string uri = package_uri(request.target);
            if (uri.empty())
                return raycl::test::reply::text(500, "500 Internal Server Error\n\nServer got itself in trouble");
            const package_bytes bytes = bytes_of(request.body);
            std::lock_guard lock(mutex_);
            auto [it, first] = packages_.try_emplace(uri);
            record& entry = it->second;
            if (first) entry.first_put = bytes;
            if (!(entry.first_put == bytes)) ++entry.differing_puts;
            entry.stored = bytes;
            ++entry.puts;
            ++puts_;
            return raycl::test::reply::text(200, "");
        });
    }

    bool has(const std::string& uri) const {
        std::lock_guard lock(mutex_);
        return packages_.count(uri) != 0;
    }
    std::map<std::string, record> records() const {
        std::lock_guard lock(mutex_);
        return packages_;
    }
    std::uint64_t puts() const {
        std::lock_guard lock(mutex_);
        return puts_;
    }
    /// Forgets every package (between rounds: memory stays bounded by one round's packages).
    void clear() {
        std::lock_guard lock(mutex_);
        packages_.clear();
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, record> packages_;
    std::uint64_t puts_ = 0;
};

/// The gcs:// URIs a submitted runtime_env names (working_dir, then py_modules), as sent.
std::vector<std::string> named_packages(const json::object& body) {
    std::vector<std::string> uris;
    const json::value* env = body.if_contains("runtime_env");
    if (!env || !env->is_object()) return uris;
    const auto add = [&uris](const json::value& value) {
        if (value.is_string() && value.as_string().starts_with("gcs://")) uris.emplace_back(value.as_string());
    };
    if (const json::value* working_dir = env->as_object().if_contains("working_dir")) add(*working_dir);
    if (const json::value* modules = env->as_object().if_contains("py_modules"); modules && modules->is_array())
        for (const json::value& module : modules->as_array()) add(module);
    return uris;
}

/// One job of the fake: its entrypoint and the packages its runtime_env names.
struct fake_job {
    std::string entrypoint;
    std::vector<std::string> packages;
};

/// The fake's jobs, as Ray keeps them: one per submission id, refused when the id is known. A
/// submit naming a package the fake does not have is accepted, as Ray does (the job would fail
/// setting up its runtime_env), and counted.
class ray_like_jobs {
public:
    ray_like_jobs(raycl::test::fake_dashboard& dashboard, const ray_like_packages& packages) : packages_(packages) {
        dashboard.route("POST", "/api/jobs/", [this](const raycl::test::recorded_request& request) {
            const auto body = json::parse(request.body).as_object();
            const std::string id(body.at("submission_id").as_string());
            fake_job job{std::string(body.at("entrypoint").as_string()), named_packages(body)};
            std::uint64_t missing = 0;
            for (const auto& uri : job.packages)
                if (!packages_.has(uri)) ++missing;
            std::lock_guard lock(mutex_);
            before_package_ += missing;
            if (!jobs_.emplace(id, std::move(job)).second) {
                ++refused_;
                // Ray 2.60: the head re-raises the agent's 400 as a 500 with a traceback.
                return raycl::test::reply::text(
                    500, "Traceback (most recent call last):\n  ...\nValueError: Job with submission_id " + id +
                             " already exists. Please use a different submission_id.");
            }
            return raycl::test::reply::json(200,
                                            json::serialize(json::object{{"job_id", nullptr}, {"submission_id", id}}));
        });
    }

    std::map<std::string, fake_job> jobs() const {
        std::lock_guard lock(mutex_);
        return jobs_;
    }
    std::uint64_t refused() const {
        std::lock_guard lock(mutex_);
        return refused_;
    }
    /// Submits that named a package the fake did not have at that moment.
    std::uint64_t submits_before_their_package() const {
        std::lock_guard lock(mutex_);
        return before_package_;
    }
    /// Forgets every job (between rounds: the ids and entrypoints of a round are its own).
    void clear() {
        std::lock_guard lock(mutex_);
        jobs_.clear();
    }

private:
    const ray_like_packages& packages_;
    mutable std::mutex mutex_;
    std::map<std::string, fake_job> jobs_;  // submission id -> job
    std::uint64_t refused_ = 0;
    std::uint64_t before_package_ = 0;
};

/// The local directories of one round: `working_dirs[k]` (a script, a data file of 1 to 48 KiB
/// of pseudo-random bytes, a text file in a subdirectory) and `modules[k]` (a package
/// `soakmod_<k>`), their contents made from the round and k, so that each round's URIs are new.
struct round_directories {
    std::vector<fs::path> working_dirs, modules;
};

void write_file(const fs::path& path, const std::string& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

round_directories make_directories(const fs::path& root, std::size_t round, std::size_t count, std::uint64_t seed) {
    round_directories dirs;
    std::mt19937_64 random(seed * 1'000'003 + round);
    for (std::size_t k = 0; k < count; ++k) {
        const std::string tag = std::to_string(round) + "-" + std::to_string(k);
        const fs::path working_dir = root / ("wd_" + std::to_string(k));
        std::string data(1024 + random() % (47 * 1024), '\0');
        for (auto& c : data) c = static_cast<char>(random());
        write_file(working_dir / "main.py", "print('soak working_dir " + tag + "')\n");
        write_file(working_dir / "data" / "blob.bin", data);
        write_file(working_dir / "notes" / "readme.txt", std::string(200 + k, 'a' + static_cast<char>(k % 26)) + "\n");
        const fs::path module = root / ("mod_" + std::to_string(k)) / ("soakmod_" + std::to_string(k));
        write_file(module / "__init__.py", "VALUE = '" + tag + "'\n");
        dirs.working_dirs.push_back(working_dir);
        dirs.modules.push_back(module);
    }
    return dirs;
}

/// What raycl builds for each directory of a round, found by a reference client without faults:
/// each directory prepared once against a clean fake (GET 404, PUT recorded), no hash cache.
struct reference_packages {
    std::vector<std::string> working_dir_uris, module_uris;
    std::map<std::string, package_bytes> bytes;  // uri -> the bytes raycl PUT for it
    std::string problem;                         // empty when every directory was prepared
};

reference_packages reference_of(asio::io_context& ioc, const round_directories& dirs, const fs::path& scratch) {
    raycl::test::fake_dashboard clean(raycl::test::fake_dashboard::options{}.keep_requests(0));
    std::mutex mutex;
    std::map<std::string, package_bytes> puts;
    clean.route("GET", "/api/packages/*", [](const raycl::test::recorded_request& request) {
        return raycl::test::reply::text(404, "Package " + package_uri(request.target) + " does not exist");
    });
    clean.route("PUT", "/api/packages/*", [&](const raycl::test::recorded_request& request) {
        std::lock_guard lock(mutex);
        puts[package_uri(request.target)] = bytes_of(request.body);
        return raycl::test::reply::text(200, "");
    });
    raycl::client_options options;
    options.address = clean.address();
    options.discover_token = false;
    raycl::client ray(ioc.get_executor(), options);
    raycl::packaging_options packaging;
    packaging.with_hash_cache(false).with_temporary_directory(scratch.string());

    reference_packages out;
    const auto prepare = [&](json::object env) -> std::string {
        auto operation = ray.prepare_runtime_env(std::move(env), packaging);
        auto done = asio::co_spawn(ioc, std::move(operation), asio::use_future);
        const auto prepared = done.get();
        if (prepared.packages.size() != 1) throw std::runtime_error("not one package");
        return prepared.packages.front().uri;
    };
    try {
        for (const auto& dir : dirs.working_dirs)
            out.working_dir_uris.push_back(prepare(json::object{{"working_dir", dir.string()}}));
        for (const auto& dir : dirs.modules)
            out.module_uris.push_back(prepare(json::object{{"py_modules", json::array{json::string(dir.string())}}}));
    } catch (const std::exception& error) {
        out.problem = error.what();
    }
    clean.stop();
    out.bytes = puts;
    const std::set<std::string> distinct_wd(out.working_dir_uris.begin(), out.working_dir_uris.end());
    const std::set<std::string> distinct_mod(out.module_uris.begin(), out.module_uris.end());
    if (out.problem.empty() &&
        (distinct_wd.size() != dirs.working_dirs.size() || distinct_mod.size() != dirs.modules.size() ||
         out.bytes.size() != distinct_wd.size() + distinct_mod.size()))
        out.problem = "the reference packages are not one distinct URI and one PUT per directory";
    return out;
}

/// Whether call `i` carries packages, and which: working_dir k (and module k for every second).
struct call_packages {
    bool any = false;
    std::size_t working_dir = 0;
    std::optional<std::size_t> module;
};

call_packages packages_of(const settings& s, std::size_t call) {
    call_packages p;
    if (s.packaged_every == 0 || call % s.packaged_every != 1 % s.packaged_every) return p;
    const std::size_t j = call / s.packaged_every;
    p.any = true;
    p.working_dir = j % s.package_dirs;
    if (j % 2 == 1) p.module = (j / 2) % s.package_dirs;
    return p;
}

struct call_result {
    std::atomic<bool> done{false};
    std::optional<std::string> id;
    std::optional<raycl::client_error> error;
    std::string other_exception;  // anything but a client_error (must stay empty)
    double seconds = 0;
};

/// One round's calls, shared with the calls' coroutines: a call that hung still has it when the
/// client is destroyed and cancels it.
struct round_state {
    explicit round_state(std::size_t calls) : results(calls) {}
    std::vector<call_result> results;
    std::atomic<std::size_t> finished{0};
};

std::string entrypoint_of(std::size_t round, std::size_t call) {
    return "echo submit-" + std::to_string(round) + "-" + std::to_string(call);
}

asio::awaitable<void> submit(raycl::client& ray, std::size_t round, std::size_t call,
                             std::optional<json::object> runtime_env, raycl::packaging_options packaging,
                             std::shared_ptr<round_state> state) {
    auto& result = state->results[call];
    const auto start = clock_type::now();
    raycl::job_submission submission(entrypoint_of(round, call));
    if (call % 2 == 0) submission.with_submission_id("rel_" + std::to_string(round) + "_" + std::to_string(call));
    if (runtime_env) submission.with_runtime_env(std::move(*runtime_env));
    try {
        auto operation = ray.submit_job(std::move(submission), packaging);
        result.id = co_await std::move(operation);
    } catch (const raycl::client_error& error) {
        result.error = error;
    } catch (const std::exception& error) {
        result.other_exception = error.what();
    }
    result.seconds = std::chrono::duration<double>(clock_type::now() - start).count();
    result.done.store(true, std::memory_order_release);
    state->finished.fetch_add(1, std::memory_order_release);
}

/// Figures of all rounds.
struct totals {
    std::uint64_t calls = 0, returned_id = 0, failed = 0, hung = 0, other_exceptions = 0, unclear_errors = 0;
    std::uint64_t late = 0;  // ended after the deadline
    std::uint64_t wrong_id = 0, lost = 0, duplicated = 0, orphans = 0, failed_but_landed = 0;
    std::map<int, std::uint64_t> failed_by_status;
    double max_seconds = 0;
    // Packages.
    std::uint64_t packaged_calls = 0, packages_expected = 0, package_puts = 0, repeated_puts = 0;
    std::uint64_t puts_with_other_bytes = 0;   // a PUT whose bytes are not raycl's reference bytes
    std::uint64_t puts_of_unknown_uris = 0;    // a PUT of a URI no directory of the round has
    std::uint64_t jobs_naming_wrong_uris = 0;  // a packaged call's job without its directories' URIs
    std::uint64_t named_but_not_stored = 0;    // a job's package absent (or other bytes) at the end
    std::uint64_t reference_problems = 0;
    std::string reference_problem;
    json::array first_errors;
};

}  // namespace

int main(int argc, char** argv) {
    const settings s = parse(argc, argv);
    ::signal(SIGPIPE, SIG_IGN);
    // N concurrent submits: up to N client connections, 2N in the proxy, N in the fake.
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }

    // Bounded records: 100 requests, of at most 4 KiB of body each (package PUTs are zips).
    raycl::test::fake_dashboard dashboard(
        raycl::test::fake_dashboard::options{}.keep_requests(100).limit_recorded_body(4096));
    ray_like_packages ray_packages(dashboard);
    ray_like_jobs ray_jobs(dashboard, ray_packages);
    auto& posts = dashboard.tally("POST", "/api/jobs/");
    raycl::soak::chaos_proxy proxy(dashboard.port(), 0.0, s.seed, s.faults);

    asio::io_context ioc(static_cast<int>(s.threads));
    auto guard = asio::make_work_guard(ioc);
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < s.threads; ++i) threads.emplace_back([&ioc] { ioc.run(); });

    raycl::client_options options;
    options.address = "http://127.0.0.1:" + std::to_string(proxy.port());
    options.discover_token = false;
    options.timeout.connect = raycl::seconds(10.0);
    options.timeout.read = raycl::seconds(10.0);
    options.retry.max_attempts = s.attempts;
    options.retry.initial_backoff = 20ms;
    options.retry.max_backoff = 500ms;
    auto ray = std::make_unique<raycl::client>(ioc.get_executor(), options);

    // The rounds' directories, raycl's temporary zips and its hash cache: a scratch directory of
    // this run, removed at the end.
    const fs::path scratch = fs::temp_directory_path() / ("raycl-submit-soak-" + std::to_string(::getpid()));
    fs::remove_all(scratch);
    fs::create_directories(scratch / "tmp");
    raycl::packaging_options packaging;
    packaging.with_cache_directory((scratch / "cache").string()).with_temporary_directory((scratch / "tmp").string());

    totals t;
    const auto begin = clock_type::now();
    for (std::size_t round = 0; round < s.rounds; ++round) {
        const fs::path round_root = scratch / ("round_" + std::to_string(round));
        round_directories dirs;
        reference_packages reference;
        if (s.packaged_every != 0) {
            dirs = make_directories(round_root, round, s.package_dirs, s.seed);
            reference = reference_of(ioc, dirs, scratch / "tmp");
            if (!reference.problem.empty()) {
                ++t.reference_problems;
                t.reference_problem = reference.problem;
                break;
            }
        }
        auto state = std::make_shared<round_state>(s.jobs);
        auto& results = state->results;
        const auto round_start = clock_type::now();
        for (std::size_t i = 0; i < s.jobs; ++i) {
            std::optional<json::object> runtime_env;
            if (const auto p = packages_of(s, i); p.any) {
                runtime_env.emplace();
                (*runtime_env)["working_dir"] = dirs.working_dirs[p.working_dir].string();
                if (p.module)
                    (*runtime_env)["py_modules"] = json::array{json::string(dirs.modules[*p.module].string())};
            }
            asio::co_spawn(ioc, submit(*ray, round, i, std::move(runtime_env), packaging, state), asio::detached);
        }
        // A call still running past the deadline (plus a margin for the last ones to start) hung.
        const auto give_up = round_start + std::chrono::duration_cast<clock_type::duration>(
                                               std::chrono::duration<double>(s.deadline + 10.0));
        while (state->finished.load(std::memory_order_acquire) < s.jobs && clock_type::now() < give_up)
            std::this_thread::sleep_for(10ms);

        const auto jobs = ray_jobs.jobs();
        std::map<std::string, std::vector<std::string>> ids_by_entrypoint;
        for (const auto& [id, job] : jobs)
            if (job.entrypoint.rfind("echo submit-" + std::to_string(round) + "-", 0) == 0)
                ids_by_entrypoint[job.entrypoint].push_back(id);
        const auto stored = ray_packages.records();
        std::size_t claimed = 0;
        for (std::size_t i = 0; i < s.jobs; ++i) {
            auto& r = results[i];
            ++t.calls;
            if (!r.done.load(std::memory_order_acquire)) {
                ++t.hung;
                continue;
            }
            t.max_seconds = std::max(t.max_seconds, r.seconds);
            if (r.seconds > s.deadline) ++t.late;
            const auto found = ids_by_entrypoint.find(entrypoint_of(round, i));
            const std::size_t made = found == ids_by_entrypoint.end() ? 0 : found->second.size();
            claimed += made;
            if (made > 1) ++t.duplicated;
            if (!r.other_exception.empty()) {
                ++t.other_exceptions;
                if (t.first_errors.size() < 10)
                    t.first_errors.push_back(json::string("not a client_error: " + r.other_exception));
                continue;
            }
            if (const auto p = packages_of(s, i); p.any && made > 0) {
                std::vector<std::string> expected{reference.working_dir_uris[p.working_dir]};
                if (p.module) expected.push_back(reference.module_uris[*p.module]);
                for (const auto& id : found->second) {
                    const auto& named = jobs.at(id).packages;
                    if (named != expected) ++t.jobs_naming_wrong_uris;
                    for (const auto& uri : named) {
                        const auto kept = stored.find(uri);
                        const auto built = reference.bytes.find(uri);
                        if (kept == stored.end() || built == reference.bytes.end() ||
                            !(kept->second.stored == built->second))
                            ++t.named_but_not_stored;
                    }
                }
            }
            if (r.id) {
                ++t.returned_id;
                const bool given_kept = i % 2 != 0 || *r.id == "rel_" + std::to_string(round) + "_" + std::to_string(i);
                if (!given_kept || (made == 1 && found->second.front() != *r.id)) ++t.wrong_id;
                if (made == 0) ++t.lost;
                continue;
            }
            ++t.failed;
            if (made == 1) ++t.failed_but_landed;
            const auto& e = *r.error;
            ++t.failed_by_status[e.status()];
            if (e.status() == 0 || std::string(e.what()).empty()) ++t.unclear_errors;
            if (t.first_errors.size() < 10)
                t.first_errors.push_back(json::string(std::to_string(e.status()) + ": " + e.what()));
        }
        // Every PUT of a URI carried raycl's reference bytes of it.
        std::set<std::string> named;
        for (std::size_t i = 0; i < s.jobs; ++i) {
            if (const auto p = packages_of(s, i); p.any) {
                ++t.packaged_calls;
                named.insert(reference.working_dir_uris[p.working_dir]);
                if (p.module) named.insert(reference.module_uris[*p.module]);
            }
        }
        t.packages_expected += named.size();
        for (const auto& [uri, kept] : stored) {
            t.package_puts += kept.puts;
            t.repeated_puts += kept.puts - 1;
            const auto built = reference.bytes.find(uri);
            if (built == reference.bytes.end()) {
                t.puts_of_unknown_uris += kept.puts;
                continue;
            }
            if (!(kept.first_put == built->second))
                t.puts_with_other_bytes += kept.puts - kept.differing_puts;
            else
                t.puts_with_other_bytes += kept.differing_puts;
        }
        // Jobs of this round that no call made (e.g. an id raycl generated for a retry).
        std::size_t of_round = 0;
        for (const auto& entry : ids_by_entrypoint) of_round += entry.second.size();
        t.orphans += of_round - std::min(of_round, claimed);
        if (!s.json)
            std::fprintf(stderr, "round %zu: %zu calls in %.1f s, %zu jobs\n", round, s.jobs,
                         std::chrono::duration<double>(clock_type::now() - round_start).count(), of_round);
        if (t.hung > 0) break;  // the client would still hold them: stop here
        // Bounded: the next round starts from an empty fake (its ids, entrypoints, URIs are new).
        ray_packages.clear();
        ray_jobs.clear();
        std::error_code ignored;
        fs::remove_all(round_root, ignored);
    }
    const double seconds = std::chrono::duration<double>(clock_type::now() - begin).count();
    const auto client_counters = ray->stats();
    ray.reset();
    guard.reset();
    for (auto& thread : threads) thread.join();
    const auto chaos = proxy.counters();
    proxy.stop();
    const auto refused = ray_jobs.refused();
    const auto before_package = ray_jobs.submits_before_their_package();
    const auto server_errors = dashboard.server_errors();
    const auto unmatched = dashboard.unmatched();
    const auto posts_received = posts.total();
    dashboard.stop();
    std::error_code ignored;
    fs::remove_all(scratch, ignored);

    json::object checks;
    checks["no_call_hung"] = t.hung == 0;
    checks["every_call_within_the_deadline"] = t.late == 0;
    checks["every_call_returned_its_id_or_a_client_error"] = t.other_exceptions == 0 && t.unclear_errors == 0;
    checks["given_ids_kept_and_returned_ids_are_the_jobs"] = t.wrong_id == 0;
    checks["no_submit_lost"] = t.lost == 0;
    checks["at_most_one_job_per_call"] = t.duplicated == 0 && t.orphans == 0;
    checks["every_fault_kind_injected"] = (s.faults.before_request == 0 || chaos.cuts_before_request > 0) &&
                                          (s.faults.after_request == 0 || chaos.cuts_after_request > 0) &&
                                          (s.faults.mid_response == 0 || chaos.cuts_mid_response > 0);
    checks["a_retry_met_the_duplicate_answer"] = s.faults.after_request + s.faults.mid_response == 0 || refused > 0;
    checks["fake_clean"] = server_errors.empty() && unmatched.empty();
    const bool packaged = s.packaged_every != 0;
    checks["reference_packages_built"] = t.reference_problems == 0;
    checks["every_put_carried_raycls_bytes"] = t.puts_with_other_bytes == 0 && t.puts_of_unknown_uris == 0;
    checks["a_uri_was_put_again_with_the_same_bytes"] = !packaged || t.repeated_puts > 0;
    checks["a_put_was_cut_after_it_landed"] = !packaged || s.faults.after_request + s.faults.mid_response == 0 ||
                                              chaos.put_cuts_after_request + chaos.put_cuts_mid_response > 0;
    checks["no_submit_before_its_packages"] = before_package == 0;
    checks["every_job_names_its_stored_packages"] = t.jobs_naming_wrong_uris == 0 && t.named_but_not_stored == 0;
    bool ok = true;
    for (const auto& [name, value] : checks) ok = ok && value.as_bool();

    json::object failed_by_status;
    for (const auto& [status, n] : t.failed_by_status) failed_by_status[std::to_string(status)] = n;
    json::object report{
        {"ok", ok},
        {"jobs_per_round", s.jobs},
        {"rounds", s.rounds},
        {"fault_probabilities", json::object{{"before_request", s.faults.before_request},
                                             {"after_request", s.faults.after_request},
                                             {"mid_response", s.faults.mid_response}}},
        {"max_attempts", s.attempts},
        {"deadline_s", s.deadline},
        {"seed", s.seed},
        {"calls", t.calls},
        {"returned_id", t.returned_id},
        {"failed", t.failed},
        {"failed_by_status", failed_by_status},
        {"failed_but_landed", t.failed_but_landed},
        {"hung", t.hung},
        {"late", t.late},
        {"lost", t.lost},
        {"duplicated", t.duplicated},
        {"orphans", t.orphans},
        {"wrong_id", t.wrong_id},
        {"max_call_s", t.max_seconds},
        {"seconds", seconds},
        {"posts_received", posts_received},
        {"duplicates_refused", refused},
        {"requests_sent", client_counters.requests_sent},
        {"retries", client_counters.retries},
        {"connections_opened", client_counters.connections_opened},
        {"packages", json::object{{"packaged_every", s.packaged_every},
                                  {"directories_per_round", s.package_dirs},
                                  {"packaged_calls", t.packaged_calls},
                                  {"uris_named", t.packages_expected},
                                  {"puts", t.package_puts},
                                  {"repeated_puts", t.repeated_puts},
                                  {"puts_with_other_bytes", t.puts_with_other_bytes},
                                  {"puts_of_unknown_uris", t.puts_of_unknown_uris},
                                  {"jobs_naming_wrong_uris", t.jobs_naming_wrong_uris},
                                  {"named_but_not_stored", t.named_but_not_stored},
                                  {"submits_before_their_package", before_package},
                                  {"reference_problem", t.reference_problem}}},
        {"proxy", json::object{{"accepted", chaos.accepted},
                               {"requests", chaos.requests},
                               {"cuts_before_request", chaos.cuts_before_request},
                               {"cuts_after_request", chaos.cuts_after_request},
                               {"cuts_mid_response", chaos.cuts_mid_response},
                               {"put_requests", chaos.put_requests},
                               {"put_cuts_before_request", chaos.put_cuts_before_request},
                               {"put_cuts_after_request", chaos.put_cuts_after_request},
                               {"put_cuts_mid_response", chaos.put_cuts_mid_response},
                               {"fin", chaos.cuts_fin},
                               {"rst", chaos.cuts_rst}}},
        {"server_errors", server_errors.size()},
        {"unmatched", unmatched.size()},
        {"first_errors", t.first_errors},
        {"checks", checks},
    };
    std::cout << json::serialize(report) << "\n";
    if (!ok) std::cerr << "raycl_submit_soak: FAILED (see \"checks\")\n";
    return ok ? 0 : 1;
}
