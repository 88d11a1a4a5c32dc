#!/usr/bin/env bash
# Prepare this machine for the test suite and the sandbox. Idempotent.
#
#   1. a Docker engine: reuse a running one; otherwise, on Debian/Ubuntu,
#      install the distribution's docker.io and start dockerd, waiting until
#      it answers. No container registry is ever needed.
#   2. the Python tool chain, pinned in requirements-dev.txt, in .venv/
#      (reinstalled only when that file changes), and each older
#      ansible-core of requirements-core.txt in .venv/core-<major.minor>/.
#   3. the molecule base images (Debian 12, 13 and 14 with systemd), built
#      locally from a debootstrap rootfs, once (tools/build-image.sh), in
#      parallel (Debian 14 takes longest: 1.5-4 minutes). Set
#      MQOPS_IMAGE_DEBIAN12 / _DEBIAN13 / _DEBIAN14 to use your own images.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
log() { printf '[prepare] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_docker() {
  if docker info >/dev/null 2>&1; then
    log "Docker engine is running"
    return
  fi
  if ! command -v dockerd >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || {
      echo "no Docker engine and no apt-get: install and start Docker, then re-run" >&2
      exit 1
    }
    log "installing the distribution's docker.io"
    apt_install docker.io
  fi
  if [ -d /run/systemd/system ] && systemctl list-unit-files docker.service >/dev/null 2>&1 \
    && as_root systemctl start docker 2>/dev/null; then
    log "started docker.service"
  else
    log "starting dockerd in the background (log: /var/log/mqops-dockerd.log)"
    as_root sh -c 'nohup dockerd >/var/log/mqops-dockerd.log 2>&1 &'
  fi
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then
      log "Docker engine answers"
      return
    fi
    sleep 1
  done
  echo "dockerd did not answer within 60 s; see /var/log/mqops-dockerd.log" >&2
  exit 1
}

ensure_venv() {
  local stamp=.venv/.requirements.sha256 want
  want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
  if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    log "Python tool chain is up to date (.venv)"
    return
  fi
  log "installing the Python tool chain into .venv"
  python3 -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
  echo "$want" >"$stamp"
}

# One venv per ansible-core pin (the same pytest as .venv), after .venv.
ensure_core_venvs() {
  local pin version dir pytest
  pytest=$(grep -E '^pytest==' requirements-dev.txt)
  for pin in $(grep -E '^ansible-core==' requirements-core.txt); do
    version=${pin#ansible-core==}
    dir=.venv/core-$(echo "$version" | cut -d. -f1-2)
    if [ -x "$dir/bin/ansible-playbook" ] && [ "$(cat "$dir/.pin" 2>/dev/null)" = "$pin $pytest" ]; then
      continue
    fi
    log "installing $pin into $dir"
    rm -rf "$dir"
    python3 -m venv "$dir"
    "$dir/bin/python" -m pip install -q --disable-pip-version-check "$pin" "$pytest"
    echo "$pin $pytest" >"$dir/.pin"
  done
}

ensure_images() {
  local pids=() rc=0
  if [ -z "${MQOPS_IMAGE_DEBIAN12:-}" ]; then
    tools/build-image.sh bookworm mqops/debian-systemd:12 & pids+=($!)
  fi
  if [ -z "${MQOPS_IMAGE_DEBIAN13:-}" ]; then
    tools/build-image.sh trixie mqops/debian-systemd:13 & pids+=($!)
  fi
  if [ -z "${MQOPS_IMAGE_DEBIAN14:-}" ]; then
    tools/build-image.sh forky mqops/debian-systemd:14 & pids+=($!)
  fi
  for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
  return $rc
}

command -v debootstrap >/dev/null 2>&1 \
  || { [ -n "${MQOPS_IMAGE_DEBIAN12:-}" ] && [ -n "${MQOPS_IMAGE_DEBIAN13:-}" ] && [ -n "${MQOPS_IMAGE_DEBIAN14:-}" ]; } \
  || { log "installing debootstrap"; apt_install debootstrap; }
ensure_docker
{ ensure_venv && ensure_core_venvs; } &
venv_pid=$!
ensure_images
wait "$venv_pid"
log "ready"
