// The public dry-run functions: planning with the process's environment, no client, no request.
#include "runtime_env/packaging.hpp"

#include "core/models_json.hpp"
#include "core/requests.hpp"
#include "core/validation.hpp"

#include <raycl/runtime_env.hpp>

namespace raycl {

prepared_runtime_env plan_runtime_env(const boost::json::object& runtime_env, const packaging_options& options) {
    return packaging::prepare_runtime_env(runtime_env, packaging::packaging_environment::system(options), options);
}

boost::json::object dry_run_submission(const job_submission& submission, const packaging_options& options) {
    core::validate_submission(submission);
    const std::string submission_id = submission.submission_id.value_or(core::generate_submission_id());
    job_submission planned = submission;
    if (planned.runtime_env) planned.runtime_env = plan_runtime_env(*planned.runtime_env, options).runtime_env;
    return core::encode_submission(planned, submission_id);
}

}  // namespace raycl
