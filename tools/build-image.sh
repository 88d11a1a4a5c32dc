#!/usr/bin/env bash
# Build a systemd-capable Debian base image for molecule without any registry:
# debootstrap a minimal rootfs from Debian's mirror and `docker import` it.
#
#   tools/build-image.sh SUITE IMAGE      e.g. tools/build-image.sh bookworm mqops/debian-systemd:12
#
# Suites: bookworm (12), trixie (13), forky (14, testing).
#
# The image carries a label with the hash of this recipe (this file, the
# mqops-init shim + suite + mirror); an image whose label matches is reused, so
# the build runs once per machine and again only when the recipe changes.
# FORCE=1 rebuilds anyway.
set -euo pipefail

suite=${1:?usage: build-image.sh SUITE IMAGE}
image=${2:?usage: build-image.sh SUITE IMAGE}
here=$(cd "$(dirname "$0")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
packages=systemd,systemd-sysv,python3,python3-apt,sudo,procps,iproute2,ca-certificates,gnupg,curl,iputils-ping

# Per suite: the apt suites of the image, whether it gets the security
# archive, the debootstrap script (empty: the one named after the suite) and
# whether apt may use a Release file past its Valid-Until date.
case $suite in
  bookworm | trixie)
    # Stable releases: point updates and security fixes.
    apt_suites="$suite $suite-updates"
    security=1
    script=
    expired_ok=0
    ;;
  forky)
    # Testing: no -updates or -security suites to rely on. Older
    # debootstraps (Debian 12's) have no forky script; newer ones make it a
    # link to the sid script, which is what we give.
    apt_suites=$suite
    security=0
    script=/usr/share/debootstrap/scripts/sid
    # The mirror is a snapshot: testing's Release file expires after a week.
    expired_ok=1
    ;;
  *)
    echo "unknown suite $suite (known: bookworm, trixie, forky)" >&2
    exit 2
    ;;
esac

recipe=$( { cat "$0" "$here/mqops-init"; echo "$suite $mirror $security_mirror $packages"; } | sha256sum | cut -c1-16)
current=$(docker image inspect --format '{{ index .Config.Labels "org.mqops.recipe" }}' "$image" 2>/dev/null || true)
if [ "$current" = "$recipe" ] && [ "${FORCE:-0}" != 1 ]; then
  echo "image $image is up to date (recipe $recipe)"
  exit 0
fi

command -v debootstrap >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }

work=$(mktemp -d /var/tmp/mqops-rootfs.XXXXXX)
trap 'rm -rf "$work"' EXIT
rootfs=$work/rootfs
echo "building $image from Debian $suite (recipe $recipe)"
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" ${script:+"$script"} >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log"; exit 1; }

# deb822 sources (with security where the suite has it), signed by the
# archive keyring.
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: $apt_suites
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
if [ "$security" = 1 ]; then
  cat >>"$rootfs/etc/apt/sources.list.d/debian.sources" <<SRC

Types: deb
URIs: $security_mirror
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi
if [ "$expired_ok" = 1 ]; then
  cat >"$rootfs/etc/apt/apt.conf.d/99mqops-no-valid-until" <<'CONF'
// Test image only (tools/build-image.sh): the Debian mirror these tests use
// is a snapshot, and forky's Release file is past its Valid-Until date, so
// apt would refuse it ("Release file ... is expired"). Never put this on a
// real host: it disables apt's protection against replayed, stale archives.
Acquire::Check-Valid-Until "false";
CONF
fi

# PID 1 of the containers: gives systemd a cgroup v2 tree whatever the host
# runs (see tools/mqops-init; systemd 258+ refuses cgroup v1).
install -m 0755 "$here/mqops-init" "$rootfs/usr/local/sbin/mqops-init"

# A container image: no getty on consoles, no units that need real hardware,
# and an empty machine-id so systemd makes one at boot.
for unit in getty.target console-getty.service systemd-udevd.service \
  systemd-udevd-control.socket systemd-udevd-kernel.socket \
  systemd-modules-load.service sys-kernel-config.mount sys-kernel-debug.mount \
  systemd-remount-fs.service systemd-firstboot.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
: >"$rootfs/etc/machine-id"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

tar -C "$rootfs" -c . | docker import \
  -c 'CMD ["/usr/local/sbin/mqops-init"]' \
  -c 'ENV container=docker' \
  -c "LABEL org.mqops.recipe=$recipe org.mqops.suite=$suite" \
  - "$image" >/dev/null
echo "built $image"
