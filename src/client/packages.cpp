// The client's runtime-env packaging: plan (normalise and hash) on the file workers, ask the
// cluster which packages it lacks, build those on the file workers and stream them up with the
// request driver, then submit the job or deploy the Serve config with the URIs in place.
#include "client/client_impl.hpp"

#include "core/models_json.hpp"
#include "core/sanitize.hpp"
#include "runtime_env/packaging.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/array.hpp>

#include <exception>
#include <optional>

namespace raycl {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

using detail::client_impl;
using detail::request_result;

// Polled by file work between reads: the call was cancelled, or the client is shutting down.
class stop_signal {
public:
    explicit stop_signal(std::shared_ptr<const std::atomic<bool>> shutdown)
        : shutdown_(std::move(shutdown)), cancelled_(std::make_shared<std::atomic<bool>>(false)) {}

    void cancel() const noexcept { *cancelled_ = true; }
    bool stopped() const noexcept { return *cancelled_ || *shutdown_; }
    void throw_if_stopped() const {
        if (*shutdown_) throw client_error(error_kind::cancelled, "packaging was cancelled: the client was destroyed");
        if (*cancelled_) throw client_error(error_kind::cancelled, "packaging was cancelled");
    }

private:
    std::shared_ptr<const std::atomic<bool>> shutdown_;
    std::shared_ptr<std::atomic<bool>> cancelled_;
};

// Runs blocking `work()` on the client's file workers and completes on the caller's executor.
// The work polls `stop` (through the progress callback): cancelling the awaiting coroutine sets
// it, and the work's exception, a client_error, is rethrown here. The cancellation is not
// passed on to the spawned coroutine: one that completes without having suspended would, with
// Boost 1.81, meet its own cancelled state in co_spawn's final post and throw out of the pool
// thread. The work owns only what it captures, never the impl (see client_impl::file_workers).
template <class T, class Work>
asio::awaitable<std::optional<T>> on_file_workers(client_impl& impl, const stop_signal& stop, Work work) {
    auto job = [stop, work = std::move(work)]() mutable -> asio::awaitable<std::optional<T>> {
        stop.throw_if_stopped();
        std::optional<T> result;
        try {
            result.emplace(work());
        } catch (const client_error&) {
            throw;
        } catch (const std::exception& error) {
            // Only the progress callback throws anything else: it abandoned the operation.
            throw client_error(error_kind::cancelled,
                               core::sanitize(std::string("packaging was abandoned: ") + error.what(), {}, 512));
        }
        co_return result;
    };
    const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    auto slot = state.slot();
    if (slot.is_connected()) slot.assign([stop](asio::cancellation_type) { stop.cancel(); });
    std::exception_ptr failure;
    try {
        auto result =
            co_await asio::co_spawn(impl.file_workers(), std::move(job),
                                    asio::bind_cancellation_slot(asio::cancellation_slot(), asio::use_awaitable));
        if (slot.is_connected()) slot.clear();
        co_return result;
    } catch (...) {
        failure = std::current_exception();
    }
    if (slot.is_connected()) slot.clear();
    std::rethrow_exception(failure);
}

// The caller's progress callback behind a stop check: every report is a cancellation point of
// the file work, and anything the callback throws ends the operation as `cancelled`.
std::function<void(const packaging_progress&)> guarded_progress(std::function<void(const packaging_progress&)> user,
                                                                stop_signal stop) {
    return [user = std::move(user), stop](const packaging_progress& progress) {
        stop.throw_if_stopped();
        if (!user) return;
        try {
            user(progress);
        } catch (const client_error&) {
            throw;
        } catch (const std::exception& error) {
            throw client_error(
                error_kind::cancelled,
                core::sanitize(std::string("abandoned by the progress callback: ") + error.what(), {}, 512));
        } catch (...) {
            throw client_error(error_kind::cancelled, "abandoned by the progress callback");
        }
    };
}

// Throws `cancelled` when the awaiting coroutine was cancelled between two steps.
asio::awaitable<void> throw_if_cancelled(client_impl& impl, const char* step) {
    const auto state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none || impl.stopping())
        throw client_error(error_kind::cancelled, std::string("packaging was cancelled") +
                                                      (impl.stopping() ? ": the client was destroyed" : "") + " (" +
                                                      step + ")");
}

// RuntimeEnv: `if self.get("pip") or self.get("conda")` (Python truthiness).
bool needs_ray_commit(const json::object& runtime_env) {
    const auto set = [&](const char* key) {
        const json::value* value = runtime_env.if_contains(key);
        if (!value || value->is_null()) return false;
        if (value->is_object()) return !value->as_object().empty();
        if (value->is_array()) return !value->as_array().empty();
        if (value->is_string()) return !value->as_string().empty();
        if (value->is_bool()) return value->as_bool();
        return true;
    };
    return (set("pip") || set("conda")) && !runtime_env.contains("_ray_commit");
}

// Ray's RuntimeEnv appends `_ray_commit` after the validated options and before
// `_inject_current_ray`.
json::object with_ray_commit(const json::object& runtime_env, const std::string& commit) {
    json::object out;
    for (const auto& [key, value] : runtime_env) {
        if (key == "_inject_current_ray") out["_ray_commit"] = commit;
        out[key] = value;
    }
    if (!out.contains("_ray_commit")) out["_ray_commit"] = commit;
    return out;
}

// The cluster's commit, for `_ray_commit`. Under token auth /api/version needs the token: a
// 401/403 (or a cancellation) fails the operation, as the submit itself would; any other
// failure leaves `_ray_commit` out (nothing in Ray 2.60 reads it; it is informative).
asio::awaitable<std::optional<std::string>> cluster_commit(const std::shared_ptr<client_impl>& impl,
                                                           const call_options& call) {
    auto operation = impl->run<std::string>(
        core::version_request(), call, [impl](const core::request_spec& request, const request_result& result) {
            return core::decode_version(impl->parse(request, result.response)).ray_commit;
        });
    try {
        std::string commit = co_await std::move(operation);
        if (commit.empty()) co_return std::nullopt;
        co_return commit;
    } catch (const client_error& error) {
        if (error.kind() == error_kind::unauthorized || error.kind() == error_kind::forbidden ||
            error.kind() == error_kind::cancelled)
            throw;
    }
    co_return std::nullopt;
}

// GET /api/packages/gcs/NAME: true when the cluster has it, false for 404, else the error.
asio::awaitable<bool> package_present(const std::shared_ptr<client_impl>& impl, const std::string& uri,
                                      const call_options& call) {
    auto operation = impl->run<bool>(core::package_exists_request(uri), call,
                                     [impl](const core::request_spec& request, const request_result& result) {
                                         if (result.response.status == 404) return false;
                                         impl->throw_if_failed(request, result.response);
                                         return true;
                                     });
    co_return co_await std::move(operation);
}

// PUT /api/packages/gcs/NAME streaming `file`; a 413 is the package's own "too large" error.
asio::awaitable<void> upload_package(const std::shared_ptr<client_impl>& impl, const package_info& package,
                                     const packaging::package_file& file, const packaging_options& options,
                                     const call_options& call) {
    core::file_body body;
    body.path = file.path().string();
    body.size = file.size();
    if (options.on_progress) {
        body.progress = [progress = options.on_progress, field = package.field](std::uint64_t sent,
                                                                                std::uint64_t total) {
            progress({packaging_phase::uploading, field, sent, total});
        };
    }
    // The answer is handled on the strand: it keeps its own copy of what it needs.
    auto operation = impl->run<bool>(
        core::package_upload_request(package.uri, std::move(body)), call,
        [impl, package, size = file.size()](const core::request_spec& request, const request_result& result) {
            if (result.response.status == 413)
                throw packaging::package_refused_as_too_large(package, size,
                                                              core::sanitize(request.describe(), impl->secrets()), 413);
            impl->throw_if_failed(request, result.response);
            return true;
        });
    co_await std::move(operation);
}

// Plans on the file workers, then checks, builds and uploads each package in order.
asio::awaitable<prepared_runtime_env> prepare_packages(std::shared_ptr<client_impl> impl, json::object runtime_env,
                                                       packaging_options options, call_options call) {
    core::validate_call_options(call);
    const stop_signal stop(impl->shutdown_flag());
    options.on_progress = guarded_progress(std::move(options.on_progress), stop);

    // Planning zips a likely-new directory at once (each file read once): see plan_packages.
    auto plan =
        on_file_workers<packaging::planned_runtime_env>(*impl, stop, [runtime_env = std::move(runtime_env), options] {
            return packaging::plan_packages(runtime_env, packaging::packaging_environment::system(options), options,
                                            options.temporary_directory);
        });
    // Owns the archives written while planning: removed when this frame ends, however it ends.
    packaging::planned_runtime_env planned = std::move(*co_await std::move(plan));
    prepared_runtime_env& prepared = planned.prepared;

    if (needs_ray_commit(prepared.runtime_env)) {
        co_await throw_if_cancelled(*impl, "before GET /api/version");
        auto commit_lookup = cluster_commit(impl, call);
        if (auto commit = co_await std::move(commit_lookup))
            prepared.runtime_env = with_ray_commit(prepared.runtime_env, *commit);
    }

    for (std::size_t i = 0; i < prepared.packages.size(); ++i) {
        package_info& package = prepared.packages[i];
        std::optional<packaging::package_file>& file = planned.archives[i];
        co_await throw_if_cancelled(*impl, "before checking a package");
        auto check = package_present(impl, package.uri, call);
        if (co_await std::move(check)) {
            file.reset();
            package.state = package_state::already_present;
            if (options.on_progress)
                options.on_progress({packaging_phase::skipped, package.field, package.size, package.size});
            continue;
        }
        if (!file) {
            co_await throw_if_cancelled(*impl, "before archiving a package");
            auto build = on_file_workers<packaging::package_file>(*impl, stop, [package, options] {
                return packaging::build_package(package, options, options.temporary_directory);
            });
            file.emplace(std::move(*co_await std::move(build)));
        }
        package.archive_size = file->size();
        co_await throw_if_cancelled(*impl, "before uploading a package");
        auto upload = upload_package(impl, package, *file, options, call);
        co_await std::move(upload);
        file.reset();
        package.state = package_state::uploaded;
    }
    co_return std::move(prepared);
}

// The local working_dir/py_modules of one Serve application's runtime_env, with the excludes
// that apply to them; nullopt when it has no local path (nothing to package).
std::optional<json::object> packaged_fields(const json::object& runtime_env) {
    json::object fields;
    bool local = false;
    const auto is_local = [](const json::value& value, core::package_field kind, std::string_view name) {
        return value.is_string() &&
               core::classify_package_reference(value.as_string(), kind, name) == core::package_reference::local_path;
    };
    if (const json::value* working_dir = runtime_env.if_contains("working_dir")) {
        fields["working_dir"] = *working_dir;
        local = local || is_local(*working_dir, core::package_field::working_dir, "runtime_env.working_dir");
    }
    if (const json::value* modules = runtime_env.if_contains("py_modules")) {
        fields["py_modules"] = *modules;
        if (modules->is_array()) {
            for (const json::value& module : modules->as_array())
                local = local || is_local(module, core::package_field::py_modules, "runtime_env.py_modules");
        }
    }
    if (!local) return std::nullopt;
    if (const json::value* excludes = runtime_env.if_contains("excludes")) fields["excludes"] = *excludes;
    return fields;
}

std::string application_label(const json::object& application, std::size_t index) {
    std::string label = "applications[" + std::to_string(index) + "]";
    if (const json::value* name = application.if_contains("name"); name && name->is_string())
        label += " '" + core::sanitize(name->as_string(), {}, 256) + "'";
    return label;
}

// A client_error of one Serve application, its message prefixed with the application.
client_error for_application(const client_error& error, const std::string& label) {
    return client_error(error.kind(), raycl::diagnostics(label + ": " + error.message(), error.request(),
                                                         error.server_body(), error.http_status()));
}

}  // namespace

asio::awaitable<prepared_runtime_env> client::prepare_runtime_env(json::object runtime_env, packaging_options packaging,
                                                                  call_options call) {
    // Every step completes with a client_error when cancelled: no system_error escapes.
    co_await asio::this_coro::throw_if_cancelled(false);
    auto operation = prepare_packages(impl_, std::move(runtime_env), std::move(packaging), std::move(call));
    co_return co_await std::move(operation);
}

asio::awaitable<std::string> client::submit_job(job_submission submission, packaging_options packaging,
                                                call_options call) {
    co_await asio::this_coro::throw_if_cancelled(false);
    core::validate_submission(submission);
    core::validate_call_options(call);
    const std::string submission_id = submission.submission_id.value_or(core::generate_submission_id());
    auto impl = impl_;
    if (submission.entrypoint_label_selector) {
        // Older releases refuse the field with a 400 traceback: say which release it needs instead.
        auto check = impl->require(core::capability::entrypoint_label_selector);
        co_await std::move(check);
    }
    if (submission.runtime_env) {
        auto prepare = prepare_packages(impl, std::move(*submission.runtime_env), std::move(packaging), call);
        submission.runtime_env = (co_await std::move(prepare)).runtime_env;
        co_await throw_if_cancelled(*impl, "before submitting");
    }
    auto operation = impl->run<std::string>(
        core::submit_job_request(submission, submission_id), std::move(call),
        [impl, submission_id](const core::request_spec& request, const request_result& result) {
            // A repeated submit that Ray refuses as a duplicate means an earlier attempt landed.
            if (result.repeated && core::is_duplicate_submission(result.response.status, result.response.body))
                return submission_id;
            return core::decode_submission_id(impl->parse(request, result.response));
        });
    co_return co_await std::move(operation);
}

asio::awaitable<void> client::deploy_serve_applications(json::object config, packaging_options packaging,
                                                        call_options call) {
    co_await asio::this_coro::throw_if_cancelled(false);
    auto request = core::serve_deploy_request(config);  // validates the shape before any I/O
    core::validate_call_options(call);
    auto impl = impl_;
    json::array& applications = config.at("applications").as_array();
    bool packaged = false;
    for (std::size_t i = 0; i < applications.size(); ++i) {
        json::object* application = applications[i].if_object();
        json::value* runtime_env = application ? application->if_contains("runtime_env") : nullptr;
        if (!runtime_env || !runtime_env->is_object()) continue;
        const std::string label = application_label(*application, i);
        std::optional<json::object> fields;
        try {
            fields = packaged_fields(runtime_env->as_object());
        } catch (const client_error& error) {
            throw for_application(error, label);
        }
        if (!fields) continue;
        auto prepare = prepare_packages(impl, std::move(*fields), packaging, call);
        std::optional<prepared_runtime_env> prepared;
        std::optional<client_error> failure;
        try {
            prepared = co_await std::move(prepare);
        } catch (const client_error& error) {
            failure = for_application(error, label);
        }
        if (failure) throw *failure;
        for (const char* key : {"working_dir", "py_modules"}) {
            if (const json::value* uri = prepared->runtime_env.if_contains(key)) runtime_env->as_object()[key] = *uri;
        }
        packaged = true;
    }
    if (packaged) {
        co_await throw_if_cancelled(*impl, "before deploying");
        request = core::serve_deploy_request(config);
    }
    auto operation = impl->run<bool>(std::move(request), std::move(call),
                                     [impl](const core::request_spec& spec, const request_result& result) {
                                         impl->throw_if_failed(spec, result.response);
                                         return true;
                                     });
    co_await std::move(operation);
}

}  // namespace raycl
