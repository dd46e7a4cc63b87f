#!/usr/bin/env python3
"""Differential test of raycl's runtime-env packaging against Ray 2.60's own code.

Generates random trees (nested .gitignore/.rayignore files with negations, anchors, classes,
comments and odd spacing; empty directories; non-ASCII, non-UTF-8 and newline names; file,
directory and dangling symbolic links; default-excluded directories at any depth; `excludes`
lists; odd modes and timestamps), then for each one compares

  * the URI: raycl's against ray._private.runtime_env.packaging.get_uri_for_directory(...)
    called as the Job SDK calls it (working_dir: Ray's default excludes + excludes;
    py_modules: excludes only; include_gitignore from RAY_RUNTIME_ENV_IGNORE_GITIGNORE);
  * the archive: every entry of raycl's zip against the zip create_package writes (name,
    external attributes, i.e. the mode, timestamp, UTF-8 flag and content);
  * failures: a tree Ray cannot package (a name that is not UTF-8, a pattern pathspec rejects)
    must be a 400 from raycl.

Run with the Ray venv's python: packaging_differential.py --probe PATH [--trees N] [--seed S].
Exits 1 on any mismatch, printing the tree that differed.
"""
import argparse
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from ray._private.ray_constants import get_runtime_env_default_excludes
from ray._private.runtime_env.packaging import create_package, get_uri_for_directory

NAMES = [
    "a", "b", "src", "data", "docs", "x.txt", "y.log", "main.py", "mod.py", "README.md", "build",
    "dist", "sub", "deep", "keep", "x.tmp", ".hidden", "UPPER.TXT", "dash-", "trail ", "space name",
    "[x]", "#hash", "!bang", "a?b", "star*", "back\\slash", "\u00e9", "\u65e5\u672c\u8a9e",
    "na\u00efve.txt", "nl\nname", "\u00fcber", ".git", ".venv", "venv", "__pycache__",
    "node_modules", ".github", "gitx", "venv2",
]
DEFAULT_EXCLUDED = [".git", ".venv", "venv", "__pycache__"]
BAD_NAME = os.fsdecode(b"bad\xff.bin")  # not UTF-8: Ray's hash fails on it unless excluded
PATTERNS = [
    "*.txt", "*.log", "/build", "build/", "sub/*.py", "**/data", "a/**/b", "!x.txt", "!/keep",
    "[ab]*", "[!a]*", "*.[tl]*", "# comment", "", "   ", "docs ", "\\#hash", "\\!bang", "\u00e9*",
    "deep/", "!*.py", "src/**", "?.txt", "nl*", "*~", "**/sub/", "/a", "x.tmp", "!deep/", "*.TXT",
    "[[]x]", "star\\*", "back\\\\slash", "trail\\ ", "!.git", "venv*", ".*", "!.hidden", "keep/**",
    "**/mod.py", "d*/", "[a-c]*", "*/main.py", "bad*",
]
RARE_PATTERNS = ["*", "**", "[z-a]", "!"]  # exclude everything / make pathspec fail
TIMES = [315532800 + 86400 * 365 * 20, 1_000_000_000, 1_700_000_000, 100_000_000, 7_258_118_400]


def random_patterns(rng, count):
    out = []
    for _ in range(count):
        if rng.random() < 0.02:
            out.append(rng.choice(RARE_PATTERNS))
        elif rng.random() < 0.3:
            out.append(rng.choice(NAMES))
        else:
            out.append(rng.choice(PATTERNS))
    return out


def write_ignore_file(rng, path):
    newline = rng.choice(["\n", "\r\n", "\r"])
    lines = random_patterns(rng, rng.randint(1, 4))
    path.write_bytes(newline.join(lines).encode("utf-8") + (newline.encode() if rng.random() < 0.7 else b""))


def make_tree(rng, root, external):
    """A random tree under root; returns its directories."""
    directories = [root]
    root.mkdir(parents=True)
    if rng.random() < 0.03:
        return directories  # an empty root: Ray writes a "./" (or "<name>/") entry
    for _ in range(rng.randint(1, 12)):
        parent = rng.choice(directories)
        if len(parent.relative_to(root).parts) >= 4:
            continue
        child = parent / rng.choice(NAMES)
        if child.exists() or child.is_symlink():
            continue
        if rng.random() < 0.45:
            child.mkdir()
            child.chmod(rng.choice([0o755, 0o755, 0o700, 0o775, 0o750]))
            directories.append(child)
        else:
            child.write_bytes(rng.randbytes(rng.randint(0, 300)))
            child.chmod(rng.choice([0o644, 0o755, 0o600, 0o444]))
    for name in DEFAULT_EXCLUDED:  # default-excluded directories at any depth
        if rng.random() < 0.25:
            target = rng.choice(directories) / name
            if not target.exists():
                target.mkdir()
                (target / "inside.txt").write_bytes(b"excluded by default")
    for directory in list(directories):
        if rng.random() < 0.3:
            write_ignore_file(rng, directory / ".gitignore")
        if rng.random() < 0.2:
            write_ignore_file(rng, directory / ".rayignore")
    if rng.random() < 0.06:
        (rng.choice(directories) / BAD_NAME).write_bytes(b"x")
    add_links(rng, root, directories, external)
    for path in sorted(root.rglob("*"), key=lambda p: -len(p.parts)):
        if not path.is_symlink():
            os.utime(path, (rng.choice(TIMES), rng.choice(TIMES)))
    return directories


def add_links(rng, root, directories, external):
    files = [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
    for _ in range(rng.randint(0, 3)):
        parent = rng.choice(directories)
        link = parent / ("link_" + str(rng.randint(0, 99)))
        if link.exists() or link.is_symlink():
            continue
        kind = rng.random()
        if kind < 0.35 and files:
            link.symlink_to(os.path.relpath(rng.choice(files), parent))
        elif kind < 0.6:
            link.symlink_to(external)
        elif kind < 0.8:
            link.symlink_to(parent / "nowhere")
        else:
            # A directory that is neither above the link nor holds links to directories: no loop.
            candidates = [d for d in directories
                          if d != parent and d not in parent.parents and not any(p.is_symlink() for p in d.rglob("*"))]
            if candidates:
                link.symlink_to(rng.choice(candidates))


def describe_tree(root):
    lines = []
    for path in sorted(root.rglob("*")):
        rel = repr(str(path.relative_to(root)))
        if path.is_symlink():
            lines.append(f"  {rel} -> {os.readlink(path)!r}")
        elif path.is_dir():
            lines.append(f"  {rel}/")
        else:
            extra = ""
            if path.name in (".gitignore", ".rayignore"):
                extra = " content=" + repr(path.read_bytes())
            lines.append(f"  {rel} mode={oct(path.stat().st_mode)}{extra}")
    return "\n".join(lines)


def zip_listing(path):
    with zipfile.ZipFile(path) as archive:
        return sorted(
            (info.filename, info.external_attr, info.date_time, info.flag_bits & 0x800,
             b"" if info.is_dir() else archive.read(info))
            for info in archive.infolist())


def ray_side(case, work):
    """What Ray's code gives for this case: (uri, zip listing) or an error text."""
    variables = case["variables"]
    if "RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES" in variables:
        os.environ["RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES"] = variables["RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES"]
    else:
        os.environ.pop("RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES", None)
    include_gitignore = variables.get("RAY_RUNTIME_ENV_IGNORE_GITIGNORE", "0") != "1"
    user = case["excludes"]
    if case["mode"] == "working_dir":  # SubmissionClient._upload_working_dir_if_needed
        excludes = get_runtime_env_default_excludes() + list(user)
    else:  # _upload_py_modules_if_needed: runtime_env.get("excludes"), no defaults
        excludes = list(user) or None
    target = work / "ray.zip"
    try:
        uri = get_uri_for_directory(case["root"], include_gitignore, excludes=excludes)
        create_package(case["root"], target, include_gitignore=include_gitignore,
                       include_parent_dir=case["mode"] == "py_modules", excludes=excludes)
    except Exception as error:  # noqa: BLE001 - any failure of Ray's is compared as a failure
        return {"error": f"{type(error).__name__}: {error}"}
    return {"uri": uri, "zip": zip_listing(target)}


def build_case(rng, index, base, external):
    root = base / f"t{index:04d}" / rng.choice(["wd", "pkg", "\u00e9t\u00e9", "my proj"])
    make_tree(rng, root, external)
    variables = {}
    if rng.random() < 0.2:
        variables["RAY_RUNTIME_ENV_IGNORE_GITIGNORE"] = "1"
    if rng.random() < 0.15:
        variables["RAY_OVERRIDE_RUNTIME_ENV_DEFAULT_EXCLUDES"] = rng.choice(["", "build,dist", " docs , .git ,", "*.txt"])
    excludes = random_patterns(rng, rng.randint(1, 4)) if rng.random() < 0.5 else []
    mode = "working_dir" if rng.random() < 0.6 else "py_modules"
    return {"root": str(root), "mode": mode, "excludes": excludes, "variables": variables}


def probe_request(case, work):
    runtime_env = {"working_dir": case["root"]} if case["mode"] == "working_dir" else {"py_modules": [case["root"]]}
    if case["excludes"]:
        runtime_env["excludes"] = case["excludes"]
    return {"runtime_env": runtime_env, "cwd": str(work), "variables": case["variables"], "zip_dir": str(work)}


def compare(case, ray, raycl):
    """A list of differences (empty when raycl agrees with Ray)."""
    if "error" in ray:
        if raycl.get("status") != 400:
            return [f"Ray failed ({ray['error']}) but raycl did not give a 400: {raycl}"]
        return []
    if "error" in raycl:
        return [f"raycl failed ({raycl['error']}) but Ray gave {ray['uri']}"]
    package = raycl["packages"][0]
    problems = []
    if package["uri"] != ray["uri"]:
        problems.append(f"URI: raycl {package['uri']} != Ray {ray['uri']}")
    ours = zip_listing(package["zip"])
    if ours != ray["zip"]:
        theirs = ray["zip"]
        only_ray = [entry[:4] for entry in theirs if entry not in ours]
        only_raycl = [entry[:4] for entry in ours if entry not in theirs]
        problems.append(f"zip entries only in Ray's: {only_ray}\n    only in raycl's: {only_raycl}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probe", required=True, help="the raycl_runtime_env_probe executable")
    parser.add_argument("--trees", type=int, default=240)
    parser.add_argument("--seed", type=int, default=20260)
    parser.add_argument("--verbose", action="store_true", help="print why each refused tree was refused")
    args = parser.parse_args()
    # Ray logs every ignore file it reads and the path its hash failed on; the summary is enough.
    logging.getLogger("ray").setLevel(logging.CRITICAL)
    rng = random.Random(args.seed)
    start = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix="raycl-differential-"))
    try:
        external = base / "external"
        external.mkdir()
        (external / "outside.txt").write_bytes(b"reached through a link")
        (external / "nested").mkdir()
        cases = [build_case(rng, i, base, external) for i in range(args.trees)]
        works = []
        requests = []
        for i, case in enumerate(cases):
            work = base / f"w{i:04d}"
            work.mkdir()
            works.append(work)
            requests.append(json.dumps(probe_request(case, work)))
        result = subprocess.run([args.probe], input="\n".join(requests) + "\n", capture_output=True, text=True,
                                check=True, timeout=300)
        answers = [json.loads(line) for line in result.stdout.splitlines()]
        if len(answers) != len(cases):
            print(f"probe answered {len(answers)} of {len(cases)} requests; stderr:\n{result.stderr}")
            return 1
        failures = 0
        counts = {"ok": 0, "both_failed": 0}
        for i, (case, answer) in enumerate(zip(cases, answers)):
            ray = ray_side(case, works[i])
            problems = compare(case, ray, answer)
            if problems:
                failures += 1
                print(f"MISMATCH in tree {i} (seed {args.seed}): mode={case['mode']} excludes={case['excludes']!r} "
                      f"variables={case['variables']!r}")
                for problem in problems:
                    print("  " + problem)
                print(describe_tree(Path(case["root"])))
            else:
                counts["both_failed" if "error" in ray else "ok"] += 1
                if args.verbose and "error" in ray:
                    print(f"tree {i} refused: Ray {ray['error'][:100]!r} / raycl {answer.get('error', '')[:100]!r}")
        elapsed = time.monotonic() - start
        print(f"packaging differential: {len(cases)} trees, {counts['ok']} identical, "
              f"{counts['both_failed']} refused by both, {failures} mismatches, {elapsed:.1f} s (seed {args.seed})")
        return 1 if failures else 0
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
