"""Tiny Serve applications for raycl integration tests.

The cluster head is started with this directory on PYTHONPATH (scripts/ray-cluster.sh), so a
declarative config can use import_path "raycl_serve_fixture:echo_app" / ":hello_app".
"""
from ray import serve
from starlette.requests import Request
from starlette.responses import PlainTextResponse


@serve.deployment(num_replicas=1, ray_actor_options={"num_cpus": 0.1})
class Echo:
    async def __call__(self, request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"raycl echo: {request.url.path}")


@serve.deployment(num_replicas=1, ray_actor_options={"num_cpus": 0.1})
class Hello:
    async def __call__(self, request: Request) -> PlainTextResponse:
        return PlainTextResponse("raycl hello")


echo_app = Echo.bind()
hello_app = Hello.bind()
