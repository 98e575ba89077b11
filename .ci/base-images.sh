#!/usr/bin/env bash
# Make the base images the tests and benchmarks build on, locally: no registry is reachable,
# so nothing may be pulled.
#   debian:bookworm-slim  debootstrap --variant=minbase bookworm, then docker import
#   busybox:latest        Debian's busybox-static binary with its applet links
# Idempotent: an image that already exists is left alone.
set -euo pipefail
DOCKER=${DOCKER:-/usr/bin/docker}
[ -x "$DOCKER" ] || DOCKER=docker

if ! "$DOCKER" image inspect debian:bookworm-slim >/dev/null 2>&1; then
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase bookworm "$root/rootfs" >/dev/null
  # Debian's official image drops apt's cache after every install; mimic it so the
  # template's removal of that hook is exercised as it would be against the real image.
  printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };' \
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };' \
    'Binary::apt::APT::Keep-Downloaded-Packages "false";' \
    > "$root/rootfs/etc/apt/apt.conf.d/docker-clean"
  rm -rf "$root/rootfs/var/cache/apt/archives/"*.deb "$root/rootfs/var/lib/apt/lists/"*
  tar -C "$root/rootfs" -c . | "$DOCKER" import - debian:bookworm-slim >/dev/null
  rm -rf "$root"
  trap - EXIT
  echo "made debian:bookworm-slim"
fi

if ! "$DOCKER" image inspect busybox:latest >/dev/null 2>&1; then
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  tar -C "$root" -c . | "$DOCKER" import -c 'CMD ["sh"]' - busybox:latest >/dev/null
  rm -rf "$root"
  echo "made busybox:latest"
fi
