"""Deploy raycl_serve_fixture:hello_app imperatively (serve.run) as app "imperative_hello".

Run with the cluster venv's python, e.g.
  RAY_ADDRESS=$RAYCL_TEST_GCS_ADDRESS RAY_AUTH_MODE=$RAYCL_TEST_AUTH RAY_AUTH_TOKEN=$RAYCL_TEST_TOKEN \
  RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 PYTHONPATH=test/integration/python python serve_imperative_deploy.py
(RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 keeps the driver on 127.0.0.1, like the cluster nodes.)
"""
import ray
from ray import serve

import raycl_serve_fixture

ray.init()
serve.run(raycl_serve_fixture.hello_app, name="imperative_hello", route_prefix="/imp", blocking=False)
print("deployed imperative_hello at /imp")
