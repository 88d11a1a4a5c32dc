#!/usr/bin/env python3
"""Run ``ansible-test sanity`` and ``ansible-test units`` on what the collection ships.

    tools/ansible_test.py sanity [--core 2.16 --core 2.19 ...] [ansible-test options]
    tools/ansible_test.py units [--core ...] [ansible-test options]
    tools/ansible_test.py all [--core ...]          sanity then units, per version

ansible-test wants the collection at a path ending in
``ansible_collections/<namespace>/<name>`` and resolves symbolic links, so
the checkout (whose ``collections/`` link points back at itself) cannot be
tested in place. For each ansible-core version this tool:

1. builds the collection with ``ansible-galaxy collection build`` (so the
   tree is exactly what ``galaxy.yml``'s ``build_ignore`` ships) and unpacks
   it into a temporary ``ansible_collections/mqops/rabbitmq``;
2. adds what ansible-test reads but the build leaves out: for sanity
   ``tests/sanity`` (the ignore files), so that sanity checks exactly the
   shipped code; for units ``tests/unit/plugins`` (the plugins' unit tests;
   the repository-level tests under ``tests/unit`` check tools and files that
   are not shipped, so they stay with ``make unit``);
3. runs ``ansible-test`` from that version's virtual environment (``.venv``
   for the newest, ``.venv/core-X.Y`` for the others, see ``make prepare``)
   with ``--venv``: every sanity test gets the requirements that ansible-test
   version pins, installed from PyPI into virtual environments it caches.

ansible-test bootstraps pip in those environments with a script it
downloads from ci-files.testing.ansible.com, which is not reachable from
every CI machine. Its cache (``~/.ansible/test/cache/get_pip_X_Y_Z.py``) is
the documented way around that; this tool writes a stand-in there that
installs pip from the interpreter's own ``ensurepip`` wheel and then the
exact pip version asked for from PyPI. ``HOME`` for ansible-test is
``.cache/ansible-test`` in the checkout (git-ignored, not built), so the
caches stay with the project: ``--fresh`` empties it (a first run, as on a
clean CI machine).

Exit status: 0 when every run passed; each run's time is printed at the end.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMESPACE, NAME = "mqops", "rabbitmq"
HOME = os.path.join(ROOT, ".cache", "ansible-test")
# Python the sanity and unit tests run with: the tool chain's own.
PYTHON = "%d.%d" % sys.version_info[:2]

GET_PIP = '''"""Stand-in for ansible-test's get-pip bootstrap script (written by tools/ansible_test.py).

ansible-test runs it as ``python get_pip.py [pip options] pip==X [--no-setuptools] [--no-wheel]`` in a
virtual environment created without pip: pip comes from the interpreter's bundled wheel (ensurepip,
offline), then pip installs the packages asked for from the package index.
"""
import subprocess
import sys

args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
'''


def venv_bin(core):
    """The bin directory of the tool chain with ansible-core ``core`` (major.minor)."""
    newest = os.path.join(ROOT, ".venv", "bin")
    candidates = [os.path.join(ROOT, ".venv", "core-%s" % core, "bin"), newest]
    for directory in candidates:
        python = os.path.join(directory, "python")
        if not os.path.exists(os.path.join(directory, "ansible-test")):
            continue
        version = subprocess.run([python, "-c", "import ansible.release as r; print(r.__version__)"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        if ".".join(version.split(".")[:2]) == core:
            return directory
    sys.exit("no ansible-test for ansible-core %s in .venv or .venv/core-%s: run `make prepare`" % (core, core))


def newest_core():
    python = os.path.join(ROOT, ".venv", "bin", "python")
    version = subprocess.run([python, "-c", "import ansible.release as r; print(r.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    return ".".join(version.split(".")[:2])


def pip_versions(bin_dir):
    """The pip versions this ansible-test bootstraps its virtual environments with."""
    python = os.path.join(bin_dir, "python")
    package = subprocess.run([python, "-c", "import ansible_test, os; print(os.path.dirname(ansible_test.__file__))"],
                             capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(package, "_internal", "python_requirements.py")) as handle:
        return sorted(set(re.findall(r"\bpip='([0-9.]+)'", handle.read())))


def write_get_pip(versions):
    cache = os.path.join(HOME, ".ansible", "test", "cache")
    os.makedirs(cache, exist_ok=True)
    for version in versions:
        with open(os.path.join(cache, "get_pip_%s.py" % version.replace(".", "_")), "w") as handle:
            handle.write(GET_PIP)


def build(workdir):
    """The built collection unpacked under workdir/ansible_collections/mqops/rabbitmq; returns that path."""
    galaxy = os.path.join(ROOT, ".venv", "bin", "ansible-galaxy")
    out = os.path.join(workdir, "build")
    subprocess.run([galaxy, "collection", "build", "--force", "--output-path", out, ROOT], check=True,
                   stdout=subprocess.DEVNULL)
    (artifact,) = [os.path.join(out, f) for f in os.listdir(out) if f.endswith(".tar.gz")]
    return artifact


# What each command needs from tests/ besides the built collection: sanity
# its ignore files (it then checks the shipped code only), units the tests.
TESTS = {
    "sanity": [os.path.join("tests", "sanity")],
    "units": [os.path.join("tests", "unit", "plugins")],
}


def unpack(artifact, workdir, command):
    tree = os.path.join(workdir, "ansible_collections", NAMESPACE, NAME)
    if os.path.exists(tree):
        shutil.rmtree(tree)
    os.makedirs(tree)
    with tarfile.open(artifact) as archive:
        members = [m for m in archive.getmembers() if not (m.name.startswith("/") or ".." in m.name.split("/"))]
        archive.extractall(tree, members=members)
    for part in TESTS[command]:
        source = os.path.join(ROOT, part)
        if os.path.isdir(source):
            shutil.copytree(source, os.path.join(tree, part),
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
    return tree


def run(core, command, tree, extra):
    bin_dir = venv_bin(core)
    write_get_pip(pip_versions(bin_dir))
    env = dict(os.environ, HOME=HOME, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    for name in ("ANSIBLE_COLLECTIONS_PATH", "ANSIBLE_COLLECTIONS_PATHS", "ANSIBLE_CONFIG", "VIRTUAL_ENV"):
        env.pop(name, None)
    cmd = [os.path.join(bin_dir, "ansible-test"), command, "--venv", "--python", PYTHON, "--color", "no"]
    if command == "sanity":
        cmd.append("--truncate=0")
    cmd += extra
    print("== ansible-core %s: %s" % (core, " ".join(cmd[1:])), flush=True)
    started = time.monotonic()
    rc = subprocess.run(cmd, cwd=tree, env=env).returncode
    return rc, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["sanity", "units", "all"])
    parser.add_argument("--core", action="append", default=[],
                        help="ansible-core major.minor to test with (repeat; default: the newest, in .venv)")
    parser.add_argument("--fresh", action="store_true",
                        help="empty ansible-test's caches first (.cache/ansible-test), as on a clean machine")
    parser.add_argument("--keep", action="store_true", help="keep the temporary tree (its path is printed)")
    args, extra = parser.parse_known_args()
    cores = args.core or [newest_core()]
    commands = ["sanity", "units"] if args.command == "all" else [args.command]
    if args.fresh and os.path.isdir(HOME):
        shutil.rmtree(HOME)
    os.makedirs(HOME, exist_ok=True)

    workdir = tempfile.mkdtemp(prefix="mqops-ansible-test-")
    results = []
    try:
        artifact = build(workdir)
        for core in cores:
            for command in commands:
                tree = unpack(artifact, workdir, command)
                rc, seconds = run(core, command, tree, extra)
                results.append((core, command, rc, seconds))
    finally:
        if args.keep:
            print("tree kept in %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    for core, command, rc, seconds in results:
        print("ansible-test %-6s ansible-core %-5s %-6s %4.0f s" % (command, core, "passed" if rc == 0 else "FAILED",
                                                                  seconds))
    return 0 if results and all(rc == 0 for _core, _command, rc, _seconds in results) else 1


if __name__ == "__main__":
    sys.exit(main())
