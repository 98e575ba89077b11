#!/usr/bin/env bash
# Make the base images the tests and benchmarks build on, locally: no registry is reachable,
# so nothing may be pulled.
#   debian:bookworm-slim  debootstrap --variant=minbase bookworm, then docker import
#   debian:trixie-slim    the same for trixie (the template's default base image)
#   busybox:latest        Debian's busybox-static binary with its applet links
# Idempotent: an image that already exists is left alone.
set -euo pipefail
DOCKER=${DOCKER:-/usr/bin/docker}
[ -x "$DOCKER" ] || DOCKER=docker

# debian:<suite>-slim from debootstrap --variant=minbase <suite>, then docker import.
debian_slim() {
  local suite=$1 root
  if "$DOCKER" image inspect "debian:$suite-slim" >/dev/null 2>&1; then return; fi
  root=$(mktemp -d)
  # shellcheck disable=SC2064  # expand now: the trap must remove this very folder
  trap "rm -rf '$root'" EXIT
  debootstrap --variant=minbase "$suite" "$root/rootfs" >/dev/null
  # Debian's official image drops apt's cache after every install; mimic it so the
  # template's removal of that hook is exercised as it would be against the real image.
  printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };' \
    'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };' \
    'Binary::apt::APT::Keep-Downloaded-Packages "false";' \
    > "$root/rootfs/etc/apt/apt.conf.d/docker-clean"
  rm -rf "$root/rootfs/var/cache/apt/archives/"*.deb "$root/rootfs/var/lib/apt/lists/"*
  tar -C "$root/rootfs" -c . | "$DOCKER" import - "debian:$suite-slim" >/dev/null
  rm -rf "$root"
  trap - EXIT
  echo "made debian:$suite-slim"
}
debian_slim bookworm
debian_slim trixie

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
