#!/usr/bin/env bash
# Prepares a fresh CI/dev machine of this workplace's kind for `chatctl test`:
# a Docker engine, the locally-made `debian:bookworm-slim` base image (no registry
# is reachable here), and Chromium for the browser tests. Idempotent.
# This is machine preparation, not part of the product's normal path.
set -euo pipefail

log() { printf '[prepare] %s\n' "$*"; }

need_apt=()
command -v dockerd >/dev/null 2>&1 || need_apt+=(docker.io)
command -v debootstrap >/dev/null 2>&1 || need_apt+=(debootstrap)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  log "starting dockerd"
  mkdir -p /var/log
  nohup dockerd >/var/log/dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    log "dockerd did not start; last lines of /var/log/dockerd.log:"
    tail -n 30 /var/log/dockerd.log >&2 || true
    exit 1
  fi
fi

if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  root=$(mktemp -d /tmp/bookworm-rootfs.XXXXXX)
  log "debootstrap bookworm into $root"
  debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >/tmp/debootstrap.log 2>&1 \
    || { tail -n 30 /tmp/debootstrap.log >&2; exit 1; }
  log "importing debian:bookworm-slim"
  tar -C "$root" -c . | docker import - debian:bookworm-slim >/dev/null
  rm -rf "$root"
fi
log "machine ready"
