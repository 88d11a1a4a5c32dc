#!/usr/bin/env bash
# Build a systemd-capable Debian base image for molecule without any registry:
# debootstrap a minimal rootfs from Debian's mirror and `docker import` it.
#
#   tools/build-image.sh SUITE IMAGE      e.g. tools/build-image.sh bookworm mqops/debian-systemd:12
#
# The image carries a label with the hash of this recipe (this file + suite +
# mirror); an image whose label matches is reused, so the build runs once per
# machine and again only when the recipe changes. FORCE=1 rebuilds anyway.
set -euo pipefail

suite=${1:?usage: build-image.sh SUITE IMAGE}
image=${2:?usage: build-image.sh SUITE IMAGE}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
packages=systemd,systemd-sysv,python3,python3-apt,sudo,procps,iproute2,ca-certificates,gnupg,curl,iputils-ping

recipe=$( { cat "$0"; echo "$suite $mirror $security_mirror $packages"; } | sha256sum | cut -c1-16)
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
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log"; exit 1; }

# deb822 sources with updates and security, signed by the archive keyring.
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security_mirror
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC

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
  -c 'CMD ["/lib/systemd/systemd"]' \
  -c 'ENV container=docker' \
  -c "LABEL org.mqops.recipe=$recipe org.mqops.suite=$suite" \
  - "$image" >/dev/null
echo "built $image"
