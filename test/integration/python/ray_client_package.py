"""Ray 2.60's own Python client on a local directory, for raycl's interop tests.

  ray_client_package.py uri DIR           print the URI Ray's JobSubmissionClient gives DIR as a
                                          working_dir (default excludes, .gitignore), no request
  ray_client_package.py submit ADDRESS DIR  submit `true` with working_dir DIR through
                                          JobSubmissionClient (it uploads when the cluster lacks
                                          the package) and print the working_dir URI the job records
  ray_client_package.py reuse ADDRESS DIR ENTRYPOINT
                                          submit ENTRYPOINT with working_dir DIR through
                                          JobSubmissionClient, recording its existence checks
                                          (_package_exists) and uploads (_upload_package); print one
                                          JSON object: submission_id, uri (as the job records it),
                                          exists (each check's answer), uploads (URIs it uploaded)

RAYCL_TEST_TOKEN, when set, is sent as a bearer token (token-auth clusters).
"""
import json
import os
import sys

from ray._private.ray_constants import get_runtime_env_default_excludes
from ray._private.runtime_env.packaging import get_uri_for_directory


def reuse(client, directory, entrypoint):
    # Wrapped on the instance: the real methods still run, so a missing package is uploaded
    # (and reported), exactly as without the wrappers.
    exists, uploads = [], []
    package_exists, upload_package = client._package_exists, client._upload_package

    def recording_exists(package_uri):
        found = package_exists(package_uri)
        exists.append(found)
        return found

    def recording_upload(package_uri, *args, **kwargs):
        uploads.append(package_uri)
        return upload_package(package_uri, *args, **kwargs)

    client._package_exists, client._upload_package = recording_exists, recording_upload
    submission_id = client.submit_job(entrypoint=entrypoint, runtime_env={"working_dir": directory})
    uri = client.get_job_info(submission_id).runtime_env["working_dir"]
    print(json.dumps({"submission_id": submission_id, "uri": uri, "exists": exists, "uploads": uploads}))


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
    if sys.argv[1] == "reuse":
        reuse(client, sys.argv[3], sys.argv[4])
        return
    submission_id = client.submit_job(entrypoint="true", runtime_env={"working_dir": sys.argv[3]})
    # Ray 2.60 rewrites a copy of the runtime_env: the URI it sent is the one the job records.
    print(client.get_job_info(submission_id).runtime_env["working_dir"])


if __name__ == "__main__":
    main()
