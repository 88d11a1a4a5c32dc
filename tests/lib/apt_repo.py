#!/usr/bin/env python3
"""Build a small signed apt repository from a directory of .deb files.

    apt_repo.py DEBS_DIR REPO_DIR SUITE KEY_ID

Writes REPO_DIR/pool/*.deb (hard links or copies), the index
REPO_DIR/dists/SUITE/main/binary-<arch>/Packages(.gz) and
REPO_DIR/dists/SUITE/{Release,InRelease,Release.gpg}, signed with KEY_ID
from the default gpg home (GNUPGHOME). Standard library, dpkg-deb and gpg
only: it runs in a bare Debian container (no apt-utils or dpkg-dev).

The test repository of the cluster_classic scenario (RabbitMQ's
"upstream" package source, served to the nodes over HTTP) is made with it.
"""

import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import time

ORIGIN = "mqops-test"
LABEL = "mqops-test"
COMPONENT = "main"


def control(deb):
    """The control paragraph of a .deb, as dpkg-deb prints it."""
    return subprocess.check_output(["dpkg-deb", "--field", deb], text=True).rstrip("\n")


def digests(path):
    data = open(path, "rb").read()
    return len(data), {name: hashlib.new(name, data).hexdigest() for name in ("md5", "sha1", "sha256")}


def field(paragraph, name):
    for line in paragraph.splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].strip()
    return ""


def build(debs_dir, repo_dir, suite, key_id):
    pool = os.path.join(repo_dir, "pool")
    os.makedirs(pool, exist_ok=True)
    by_arch = {}
    for name in sorted(os.listdir(debs_dir)):
        if not name.endswith(".deb"):
            continue
        source = os.path.join(debs_dir, name)
        paragraph = control(source)
        # Debian's pool naming: package_version-without-epoch_arch.deb.
        target = os.path.join(pool, "%s_%s_%s.deb" % (
            field(paragraph, "Package"), field(paragraph, "Version").split(":", 1)[-1], field(paragraph, "Architecture")))
        if not os.path.exists(target):
            shutil.copyfile(source, target)
        size, sums = digests(target)
        paragraph += "\nFilename: pool/%s\nSize: %d\nMD5sum: %s\nSHA1: %s\nSHA256: %s" % (
            os.path.basename(target), size, sums["md5"], sums["sha1"], sums["sha256"])
        by_arch.setdefault(field(paragraph, "Architecture"), []).append(paragraph)
    archs = sorted(a for a in by_arch if a != "all") or ["amd64"]
    dist = os.path.join(repo_dir, "dists", suite)
    files = []
    for arch in archs:
        rel_dir = os.path.join(COMPONENT, "binary-%s" % arch)
        os.makedirs(os.path.join(dist, rel_dir), exist_ok=True)
        text = ("\n\n".join(by_arch.get(arch, []) + by_arch.get("all", [])) + "\n").encode()
        for suffix, data in (("", text), (".gz", gzip.compress(text, mtime=0))):
            rel = os.path.join(rel_dir, "Packages" + suffix)
            with open(os.path.join(dist, rel), "wb") as handle:
                handle.write(data)
            files.append(rel)
    release = [
        "Origin: %s" % ORIGIN,
        "Label: %s" % LABEL,
        "Suite: %s" % suite,
        "Codename: %s" % suite,
        "Date: %s" % time.strftime("%a, %d %b %Y %H:%M:%S UTC", time.gmtime()),
        "Architectures: %s" % " ".join(archs),
        "Components: %s" % COMPONENT,
    ]
    for title, key in (("MD5Sum", "md5"), ("SHA1", "sha1"), ("SHA256", "sha256")):
        release.append("%s:" % title)
        for rel in files:
            size, sums = digests(os.path.join(dist, rel))
            release.append(" %s %d %s" % (sums[key], size, rel))
    release_path = os.path.join(dist, "Release")
    with open(release_path, "w") as handle:
        handle.write("\n".join(release) + "\n")
    for args, out in ((["--clearsign"], "InRelease"), (["--detach-sign", "--armor"], "Release.gpg")):
        target = os.path.join(dist, out)
        if os.path.exists(target):
            os.unlink(target)
        subprocess.run(["gpg", "--batch", "--yes", "--local-user", key_id, "--digest-algo", "SHA256"] + args
                       + ["--output", target, release_path], check=True, capture_output=True)
    return sum(len(v) for v in by_arch.values())


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    print("%d packages" % build(*sys.argv[1:]))
