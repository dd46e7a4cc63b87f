"""`ray start` for a worker node that stays on 127.0.0.1 (used by scripts/ray-cluster.sh).

Ray 2.60's `ray start` rewrites a loopback --address/--node-ip-address into the host's routable
IP (services.resolve_ip_for_localhost) unless RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, and with that
variable set it refuses to start a non-head node. This wrapper keeps the loopback IP for the
node it starts, and exports RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0 to the node's children so their
own IP lookups also answer 127.0.0.1.

Usage: python ray_start_loopback.py <ray start arguments...>
"""
import os
import sys

os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # for child processes

import ray._private.ray_constants as ray_constants  # noqa: E402
import ray._private.services as services  # noqa: E402

ray_constants.ENABLE_RAY_CLUSTER = True  # allow a non-head node in this process
services.get_node_ip_address = lambda address=None: "127.0.0.1"

from ray.scripts.scripts import main  # noqa: E402

sys.argv = ["ray", "start", *sys.argv[1:]]
sys.exit(main())
