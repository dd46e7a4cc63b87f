"""Print the WebSocket frames of GET /api/jobs/{id}/logs/tail (probe helper for raycl).

Usage: python ray-ws-tail.py <address> <job_id> [token]   (run with the Ray venv's python)
Prints one JSON line per frame: {"t": seconds since connect, "type", "len", "lines", "data"}.
"""
import asyncio
import json
import sys
import time

import aiohttp


async def main(address, job_id, token):
    headers = {"User-Agent": "raycl-probe"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    t0 = time.monotonic()
    async with aiohttp.ClientSession() as s:
        try:
            ws = await s.ws_connect(f"{address}/api/jobs/{job_id}/logs/tail", headers=headers)
        except aiohttp.WSServerHandshakeError as e:
            print(json.dumps({"handshake_error": e.status, "message": e.message}))
            return
        async for msg in ws:
            d = msg.data if isinstance(msg.data, str) else repr(msg.data)
            print(json.dumps({"t": round(time.monotonic() - t0, 2), "type": msg.type.name,
                              "len": len(d), "lines": d.count("\n"), "data": d}), flush=True)
        print(json.dumps({"t": round(time.monotonic() - t0, 2), "closed": True,
                          "close_code": ws.close_code}), flush=True)


asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else ""))
