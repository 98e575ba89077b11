#!/usr/bin/env bash
# The containerd image store lane: a second Docker 26 engine started with .ci/daemon.json
# ({"features": {"containerd-snapshotter": true}}), the store Docker Desktop and many Docker
# Engine users run, and the only docker-driver store that exports a registry cache (mode=max)
# and builds several platforms into one manifest list. Runs the prebuild tests (the two-platform
# manifest list under QEMU required: DEVKIT_REQUIRE_MULTIARCH=1) and the volume push/pull tests
# against it; the main suite runs on the classic store of the first engine.
#
# The engine has its own data root, exec root, socket, pid file, containerd namespace and
# bridge (no iptables rules: its builds need no network; pushes and pulls go from dockerd
# itself to the registry on 127.0.0.1). Run after .ci/registry.sh and .ci/multiarch.sh.
# Everything is removed again on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
lane=$(mktemp -d /var/tmp/devkit-ci-containerd.XXXXXX)
sock=$lane/docker.sock bridge=dkcictd0
teardown() {
  set +e
  if [ -s "$lane/dockerd.pid" ]; then
    pid=$(cat "$lane/dockerd.pid"); kill "$pid" 2>/dev/null
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  ip link del "$bridge" 2>/dev/null
  umount "$lane/exec/netns/"* 2>/dev/null
  mountpoint -q "$lane/data" && { umount "$lane/data" || umount -l "$lane/data"; }
  rm -rf "$lane"
}
trap teardown EXIT

# The engine's containerd keeps its snapshots under the data root and mounts them with overlayfs,
# which cannot stack on overlayfs: where /var/tmp is itself on overlayfs (CI inside a container,
# as the Debian 13 rehearsal runs it) every container create and build step failed with
# "failed to mount /tmp/containerd-mount...: invalid argument". There the data root is a tmpfs.
mkdir "$lane/data"
if [ "$(stat -f -c %T "$lane")" = overlayfs ]; then
  mount -t tmpfs -o size=8g,mode=0711 devkit-ci-containerd "$lane/data"
  echo "lane-containerd: $lane is on overlayfs, where overlayfs cannot mount: data root on a tmpfs"
fi

command -v ip >/dev/null || { apt-get update -qq && apt-get install -y -qq --no-install-recommends iproute2 >/dev/null; }
ip link add "$bridge" type bridge
ip addr add 10.231.30.1/24 dev "$bridge"
ip link set "$bridge" up
dockerd --config-file .ci/daemon.json --data-root "$lane/data" --exec-root "$lane/exec" \
  -H "unix://$sock" --pidfile "$lane/dockerd.pid" --bridge "$bridge" --iptables=false \
  --ip6tables=false --containerd-namespace devkit-ci-ctd \
  --containerd-plugins-namespace devkit-ci-ctd-plugins >"$lane/dockerd.log" 2>&1 &
for _ in $(seq 60); do DOCKER_HOST=unix://$sock /usr/bin/docker info >/dev/null 2>&1 && break; sleep 1; done
DOCKER_HOST=unix://$sock /usr/bin/docker info --format \
  'second engine {{.ServerVersion}}, store {{json .DriverStatus}}' \
  || { tail -20 "$lane/dockerd.log"; exit 1; }
DOCKER_HOST=unix://$sock /usr/bin/docker info --format '{{json .DriverStatus}}' \
  | grep -q io.containerd.snapshotter \
  || { echo "lane-containerd: the engine did not start with the containerd image store" >&2; exit 1; }
# The base images, from the first engine (never pulled).
/usr/bin/docker save busybox:latest debian:bookworm-slim \
  | DOCKER_HOST=unix://$sock /usr/bin/docker load >/dev/null

DOCKER_HOST=unix://$sock DEVKIT_REQUIRE_MULTIARCH=1 \
  pytest -p no:cacheprovider tests/prebuild tests/volumes/test_oci_docker.py
