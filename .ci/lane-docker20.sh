#!/usr/bin/env bash
# The Debian 12 lane: Docker Engine 20.10 with its own client (no buildx: BuildKit through
# DOCKER_BUILDKIT=1 docker build), as Debian 12 ships it, next to the reference engine, and
# Compose v2 as a standalone docker-compose (Debian 13's binary, which .ci/engine.sh installed:
# the template's compose.yaml has a top-level `name:`, which docker-compose v1 rejects; v1 is
# end-of-life since 2023 and no longer supported). Runs the e2e `devcontainer up` tests of a
# Python and a Go layout, the volume tests, the bench tests (the classic BuildKit progress
# format on a real engine) and the standalone docker-compose's check of the template.
#
# Debian 12's docker.io is unpacked (dpkg -x) into a temporary folder, so the installed
# Docker 26 packages stay as they are. The second dockerd has its own data root, exec root, socket, pid
# file and containerd namespace, and its own network namespace (its bridges and iptables rules
# never meet the main dockerd's), reaching out through a veth pair and one NAT rule. In that
# namespace the host's 127.0.0.1:5000 test registry (.ci/registry.sh) is out of reach, so the
# lane runs a registry of its own on the veth's host end ($net.1:5000), which the tests (on the
# host) and this engine (told it is an insecure registry) both reach.
# Everything is removed again on exit. On Debian 13, which ships no Docker 20.10, it is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [ "$codename" != bookworm ]; then
  echo "skipped: Debian ${codename:-?} ships no Docker 20.10"
  exit 0
fi

lane=$(mktemp -d /var/tmp/devkit-ci-docker20.XXXXXX)
root=$lane/root ns=devkit-ci-d20 host_if=dkci20h ns_if=dkci20n net=10.231.20
sock=$lane/docker.sock
teardown() {
  set +e
  if [ -s "$lane/registry.pid" ]; then kill "$(cat "$lane/registry.pid")" 2>/dev/null; fi
  if [ -s "$lane/dockerd.pid" ]; then
    pid=$(cat "$lane/dockerd.pid"); kill "$pid" 2>/dev/null
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
  fi
  iptables -t nat -D POSTROUTING -s "$net.0/30" ! -o "$host_if" -j MASQUERADE 2>/dev/null
  iptables -D FORWARD -i "$host_if" -j ACCEPT 2>/dev/null
  iptables -D FORWARD -o "$host_if" -j ACCEPT 2>/dev/null
  ip link del "$host_if" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  umount "$lane/exec/netns/"* 2>/dev/null
  rm -rf "$lane"
}
trap teardown EXIT

apt-get update -qq
apt-get install -y -qq --no-install-recommends iproute2 util-linux docker-registry curl >/dev/null
(cd "$lane" && apt-get download docker.io/bookworm >/dev/null 2>&1)
mkdir -p "$root" "$lane/data" "$lane/exec"
dpkg -x "$lane"/docker.io_*.deb "$root"
ln -sf /usr/bin/tini-static "$root/usr/bin/docker-init"
# Compose v2, standalone: the plugin binary (Debian 13's docker-compose package) copied out of
# the plugin folders, which the tests below hide from Debian 12's client.
compose=$(readlink -f "$(command -v docker-compose)")
cp "$compose" "$lane/docker-compose"
"$lane/docker-compose" version --short | grep -q '^2\.' \
  || { echo "lane-docker20: $compose is not Compose v2" >&2; exit 1; }

# The network namespace: a veth pair to this host, NAT to the outside.
ip netns add "$ns"
ip link add "$host_if" type veth peer name "$ns_if"
ip link set "$ns_if" netns "$ns"
ip addr add "$net.1/30" dev "$host_if"; ip link set "$host_if" up
ip netns exec "$ns" ip addr add "$net.2/30" dev "$ns_if"
ip netns exec "$ns" ip link set "$ns_if" up
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" ip route add default via "$net.1"
iptables -t nat -A POSTROUTING -s "$net.0/30" ! -o "$host_if" -j MASQUERADE
iptables -I FORWARD -i "$host_if" -j ACCEPT
iptables -I FORWARD -o "$host_if" -j ACCEPT
# The lane's registry (plain HTTP, data in the lane's folder, removed with it).
registry=$net.1:5000
mkdir -p "$lane/registry"
cat >"$lane/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $lane/registry
  delete:
    enabled: true
http:
  addr: $registry
EOF
docker-registry serve "$lane/registry.yml" >"$lane/registry.log" 2>&1 &
echo $! >"$lane/registry.pid"
answers() { curl -fsS -o /dev/null --max-time 2 "http://$registry/v2/" 2>/dev/null; }
for _ in $(seq 30); do answers && break; sleep 0.5; done
answers || { echo "lane-docker20: no registry on $registry:" >&2; tail -5 "$lane/registry.log" >&2; exit 1; }
# nsenter, not `ip netns exec`: that one remounts /sys, hiding the cgroup mounts dockerd needs.
PATH=$root/usr/sbin:$root/usr/bin:$PATH nsenter --net="/run/netns/$ns" "$root/usr/sbin/dockerd" \
  --data-root "$lane/data" --exec-root "$lane/exec" -H "unix://$sock" \
  --pidfile "$lane/dockerd.pid" --containerd-namespace devkit-ci-d20 --insecure-registry "$registry" \
  --containerd-plugins-namespace devkit-ci-d20-plugins >"$lane/dockerd.log" 2>&1 &
d20=$root/usr/bin/docker
for _ in $(seq 60); do DOCKER_HOST=unix://$sock "$d20" info >/dev/null 2>&1 && break; sleep 1; done
DOCKER_HOST=unix://$sock "$d20" version --format 'second engine {{.Server.Version}} (API {{.Server.APIVersion}})' \
  || { tail -20 "$lane/dockerd.log"; exit 1; }
"$lane/docker-compose" version --short | sed 's/^/docker-compose /'
# The base images, from the reference engine (never pulled).
/usr/bin/docker save debian:bookworm-slim debian:trixie-slim busybox:latest \
  | DOCKER_HOST=unix://$sock "$d20" load >/dev/null

# Debian 12's client has no plugins: hide the Debian 13 buildx and compose plugins from it, in a
# mount namespace of the tests' own, so devkit and the tests take the DOCKER_BUILDKIT=1 path.
export DOCKER_HOST=unix://$sock DEVKIT_DOCKER=$d20 DEVKIT_COMPOSE=$lane/docker-compose
export DEVKIT_TEST_REGISTRY=$registry
unshare --mount --propagation private bash -c '
  set -e
  for d in /usr/libexec/docker/cli-plugins /usr/lib/docker/cli-plugins \
    /usr/local/libexec/docker/cli-plugins /usr/local/lib/docker/cli-plugins \
    "$HOME/.docker/cli-plugins"; do
    if [ -d "$d" ]; then mount -t tmpfs tmpfs "$d"; fi
  done
  pytest -p no:cacheprovider tests/test_template.py -k "compose_accepts and docker-compose"
  pytest -p no:cacheprovider tests/volumes tests/bench/test_docker.py
  pytest -p no:cacheprovider tests/test_e2e_devcontainer.py -k "pip-src or go-module"'
