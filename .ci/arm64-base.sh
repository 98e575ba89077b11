#!/usr/bin/env bash
# The local linux/arm64 Debian base the template's multi-arch test builds on (never pulled):
#   devkit-ci/debian-arm64:trixie-slim   debootstrap --arch=arm64 --foreign --variant=minbase
#                                        trixie, its second stage run under QEMU, docker import
# Needs QEMU for arm64 in binfmt_misc with flag F (bash .ci/multiarch.sh registers it): the
# second stage runs the arm64 dpkg in a chroot that holds no emulator of its own.
# Idempotent: an image that is already there is left alone.
set -euo pipefail
DOCKER=${DOCKER:-/usr/bin/docker}
[ -x "$DOCKER" ] || DOCKER=docker
IMAGE=${DEVKIT_ARM64_BASE:-devkit-ci/debian-arm64:trixie-slim}
MIRROR=${DEVKIT_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ "$("$DOCKER" image inspect "$IMAGE" --format '{{.Architecture}}' 2>/dev/null)" = arm64 ]; then
  echo "$IMAGE already there"
  exit 0
fi
grep -qs '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 \
  || { echo "no arm64 emulator in binfmt_misc (run bash .ci/multiarch.sh first)" >&2; exit 1; }
grep -qs '^flags:.*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 \
  || { echo "qemu-aarch64 is registered without flag F: it cannot run in a chroot" >&2; exit 1; }
command -v debootstrap >/dev/null || { apt-get update -qq; apt-get install -y -qq debootstrap >/dev/null; }

root=$(mktemp -d)
# shellcheck disable=SC2064  # expand now: the trap must remove this very folder
trap "rm -rf '$root'" EXIT
start=$SECONDS
debootstrap --arch=arm64 --foreign --variant=minbase trixie "$root/rootfs" "$MIRROR" >/dev/null
chroot "$root/rootfs" /debootstrap/debootstrap --second-stage >/dev/null
# As Debian's official image (and .ci/base-images.sh): apt drops its .debs after each install.
printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };' \
  'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };' \
  'Binary::apt::APT::Keep-Downloaded-Packages "false";' \
  > "$root/rootfs/etc/apt/apt.conf.d/docker-clean"
rm -rf "$root/rootfs/var/cache/apt/archives/"*.deb "$root/rootfs/var/lib/apt/lists/"* \
  "$root/rootfs/debootstrap"
tar -C "$root/rootfs" -c . | "$DOCKER" import --platform linux/arm64 - "$IMAGE" >/dev/null
machine=$("$DOCKER" run --rm --platform linux/arm64 "$IMAGE" uname -m)
[ "$machine" = aarch64 ] || { echo "$IMAGE says $machine, not aarch64" >&2; exit 1; }
echo "made $IMAGE (linux/arm64) in $((SECONDS - start))s"
