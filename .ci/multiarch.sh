#!/usr/bin/env bash
# Multi-arch for the prebuild tests: QEMU for arm64 registered with binfmt_misc, and a
# two-platform busybox base image (linux/amd64 + linux/arm64, made locally from Debian's
# busybox-static packages, never pulled) in the CI registry as
# 127.0.0.1:5000/devkit-ci/busybox:latest. Run after .ci/registry.sh.
#
# binfmt_misc is the kernel's, shared by everything on this machine: an aarch64 entry is added
# when there is none, and no other entry is touched. apt's foreign-architecture settings are
# not changed either: the arm64 package is fetched with a private package list.
# Idempotent.
set -euo pipefail
DOCKER=${DOCKER:-/usr/bin/docker}
[ -x "$DOCKER" ] || DOCKER=docker
REGISTRY=${DEVKIT_TEST_REGISTRY:-127.0.0.1:5000}
IMAGE=$REGISTRY/devkit-ci/busybox:latest
BINFMT=/proc/sys/fs/binfmt_misc

if ! [ -x /usr/bin/qemu-aarch64-static ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
fi
[ -e "$BINFMT/register" ] || mount -t binfmt_misc binfmt_misc "$BINFMT"
if ! [ -e "$BINFMT/qemu-aarch64" ]; then
  # The package's own line, as systemd-binfmt would register it: the static QEMU (through
  # its -binfmt-P name), flags O, P and F. F: the kernel opens the interpreter now, so it
  # works inside containers that do not have it. P: argv[0] is kept, which multi-call
  # binaries need (busybox's applet links run "applet not found" without it).
  conf=/usr/lib/binfmt.d/qemu-aarch64.conf
  [ -f "$conf" ] || { echo "no $conf (qemu-user-static)" >&2; exit 1; }
  cat "$conf" > "$BINFMT/register"
fi
grep -q '^enabled' "$BINFMT/qemu-aarch64" || { echo "qemu-aarch64 is not enabled" >&2; exit 1; }
echo "binfmt_misc: $(sed -n 2p "$BINFMT/qemu-aarch64"), $(grep ^flags "$BINFMT/qemu-aarch64")"
grep -q '^flags:.*P' "$BINFMT/qemu-aarch64" \
  || echo "warning: qemu-aarch64 is registered without flag P: busybox applets fail under it" >&2

if "$DOCKER" buildx imagetools inspect "$IMAGE" >/dev/null 2>&1; then
  echo "$IMAGE already there"
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
for arch in amd64 arm64; do
  apt=(apt-get -qq -o APT::Sandbox::User=root -o "APT::Architecture=$arch"
    -o "APT::Architectures::=$arch" -o "Dir::State::Lists=$work/lists-$arch"
    -o "Dir::Cache=$work/cache")
  mkdir -p "$work/lists-$arch/partial"
  "${apt[@]}" update >/dev/null
  (cd "$work" && "${apt[@]}" download "busybox-static:$arch" >/dev/null)
  dpkg-deb -x "$work"/busybox-static_*_"$arch".deb "$work/x-$arch"
  root=$work/root-$arch
  mkdir -p "$root/bin" "$root/tmp"
  cp "$(find "$work/x-$arch" -path '*bin/busybox' -type f | head -1)" "$root/bin/busybox"
  # The applet list comes from this machine's busybox: the same package version's applets.
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  tar -C "$root" -c . | "$DOCKER" import --platform "linux/$arch" -c 'CMD ["sh"]' - \
    "$REGISTRY/devkit-ci/busybox:$arch" >/dev/null
  "$DOCKER" push -q "$REGISTRY/devkit-ci/busybox:$arch" >/dev/null
  "$DOCKER" image rm "$REGISTRY/devkit-ci/busybox:$arch" >/dev/null
done
"$DOCKER" buildx imagetools create -t "$IMAGE" \
  "$REGISTRY/devkit-ci/busybox:amd64" "$REGISTRY/devkit-ci/busybox:arm64" >/dev/null 2>&1
# Prove it: the arm64 variant runs (under QEMU) and says so.
machine=$("$DOCKER" run --rm --platform linux/arm64 "$IMAGE" uname -m 2>/dev/null)
"$DOCKER" image rm "$IMAGE" >/dev/null 2>&1 || true
[ "$machine" = aarch64 ] || { echo "the arm64 busybox says $machine, not aarch64" >&2; exit 1; }
echo "made $IMAGE (linux/amd64, linux/arm64)"
