"""Deploy raycl_serve_fixture:hello_app imperatively (serve.run) as app "imperative_hello".

Run with the cluster venv's python, e.g.
  RAY_ADDRESS=$RAYCL_TEST_GCS_ADDRESS RAY_AUTH_MODE=$RAYCL_TEST_AUTH RAY_AUTH_TOKEN=$RAYCL_TEST_TOKEN \
  RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 PYTHONPATH=test/integration/python python serve_imperative_deploy.py
(RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 keeps the driver on 127.0.0.1, like the cluster nodes.)
Also a job entrypoint (the integration suite submits it): inside a job, ray.init() joins the
cluster, and the application outlives the job.
"""
import inspect

import ray
from ray import serve

import raycl_serve_fixture

ray.init()
options = {"name": "imperative_hello", "route_prefix": "/imp"}
# Ray 2.10+ has blocking= (wait forever when true); older releases have _blocking= (wait until
# the application is ready, then return), which is what is wanted here.
if "blocking" in inspect.signature(serve.run).parameters:
    options["blocking"] = False
serve.run(raycl_serve_fixture.hello_app, **options)
print("deployed imperative_hello at /imp")
