"""Ray 2.60's own Python client on a local directory, for raycl's interop tests.

  ray_client_package.py uri DIR           print the URI Ray's JobSubmissionClient gives DIR as a
                                          working_dir (default excludes, .gitignore), no request
  ray_client_package.py submit ADDRESS DIR  submit `true` with working_dir DIR through
                                          JobSubmissionClient (it uploads when the cluster lacks
                                          the package) and print the working_dir URI the job records

RAYCL_TEST_TOKEN, when set, is sent as a bearer token (token-auth clusters).
"""
import os
import sys

from ray._private.ray_constants import get_runtime_env_default_excludes
from ray._private.runtime_env.packaging import get_uri_for_directory


def main():
    if sys.argv[1] == "uri":
        # SubmissionClient._upload_working_dir_if_needed: the default excludes, then the user's.
        include_gitignore = os.environ.get("RAY_RUNTIME_ENV_IGNORE_GITIGNORE", "0") != "1"
        print(get_uri_for_directory(sys.argv[2], include_gitignore, excludes=get_runtime_env_default_excludes()))
        return
    from ray.job_submission import JobSubmissionClient

    token = os.environ.get("RAYCL_TEST_TOKEN", "")
    headers = {"Authorization": "Bearer " + token} if token else None
    client = JobSubmissionClient(sys.argv[2], headers=headers)
    submission_id = client.submit_job(entrypoint="true", runtime_env={"working_dir": sys.argv[3]})
    # Ray 2.60 rewrites a copy of the runtime_env: the URI it sent is the one the job records.
    print(client.get_job_info(submission_id).runtime_env["working_dir"])


if __name__ == "__main__":
    main()
