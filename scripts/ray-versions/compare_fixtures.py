"""Print a markdown table: HTTP status (and body hints) of every recorded fixture, per Ray version.

  python3 scripts/ray-versions/compare_fixtures.py [--only REGEX] [test/fixtures/ray]

Reads test/fixtures/ray/<version>/index.json (written by record_fixtures.py). A cell is the
status, then `L1` when the body starts with the leading byte `1`, `L0` with the in-band error
marker `0`, `J` for a JSON body with "result": false; `-` = not recorded.
"""
import argparse
import json
import os
import re

ap = argparse.ArgumentParser()
ap.add_argument("root", nargs="?", default=os.path.join(os.path.dirname(__file__), "..", "..", "test", "fixtures", "ray"))
ap.add_argument("--only", default="")
a = ap.parse_args()


def key(v):
    return tuple(int(x) for x in v.split("."))


versions = sorted((d for d in os.listdir(a.root) if re.fullmatch(r"\d+\.\d+\.\d+", d)
                   and os.path.exists(os.path.join(a.root, d, "index.json"))), key=key)
index = {v: json.load(open(os.path.join(a.root, v, "index.json"))) for v in versions}
names = sorted({n for v in versions for n in index[v]})
print("| fixture | " + " | ".join(versions) + " |")
print("|---|" + "---|" * len(versions))
for n in names:
    if a.only and not re.search(a.only, n):
        continue
    cells = []
    for v in versions:
        e = index[v].get(n)
        if not e:
            cells.append("-")
            continue
        cell = str(e[1])
        try:
            body = open(os.path.join(a.root, v, n), "rb").read()
        except OSError:
            body = b""
        if n.startswith(("logs_", "error_logs_")) and not n.endswith(".json") and body[:1] in (b"0", b"1"):
            cell += " L" + body[:1].decode()
        elif body.startswith(b"{") and b'"result": false' in body[:200]:
            cell += " J"
        cells.append(cell)
    print(f"| `{n}` | " + " | ".join(cells) + " |")
