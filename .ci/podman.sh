#!/usr/bin/env bash
# Podman for the volume tests: install Debian's podman if missing (4.3 on Debian 12, 5.4 on
# Debian 13), write the containers.conf settings this machine needs, put busybox:latest into
# Podman's store (never pulled), and start `podman system service` on a socket of its own.
# Prints that socket's address (DOCKER_HOST form) on stdout, everything else on stderr:
#   export DEVKIT_PODMAN_HOST=$(bash .ci/podman.sh)
# Idempotent: what is already in place is left alone; a service that answers is reused.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
sock=${DEVKIT_PODMAN_SOCKET:-/run/podman/podman.sock}
log=${DEVKIT_PODMAN_LOG:-/tmp/devkit-ci-podman.log}
say() { echo "podman.sh: $*" >&2; }

# Podman 5 on cgroup v1 warns on every command; CI knows.
export PODMAN_IGNORE_CGROUPSV1_WARNING=1
need=()
command -v podman >/dev/null || need+=(podman)
# netavark (Podman 5's network backend) sets up even a network-less container's firewall
# with nft: without it no container starts ("unable to execute nft").
command -v nft >/dev/null || need+=(nftables)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Settings only where this machine needs them, in a drop-in of their own (the main
# containers.conf stays as the package left it).
conf=()
# crun, Podman's first choice, is not always installed, and on cgroup v1 runc is the runtime
# the Docker engine beside it already proves here (docker.io depends on it).
cgroup=$(stat -f -c %T /sys/fs/cgroup)
if command -v runc >/dev/null && { ! command -v crun >/dev/null || [ "$cgroup" != cgroup2fs ]; }; then
  conf+=('[engine]' 'runtime = "runc"')
fi
if [ "$(cat /proc/1/comm 2>/dev/null)" != systemd ]; then
  # No systemd: no systemd cgroup manager, no journald for events.
  [ ${#conf[@]} -gt 0 ] || conf+=('[engine]')
  conf+=('cgroup_manager = "cgroupfs"' 'events_logger = "file"')
fi
# Without CAP_SYS_RESOURCE no container may get more than the limits Podman itself runs
# with (Podman's default of 1048576 open files then fails every container start): at most
# this shell's hard limit of open files, and 4096 processes (Podman lowers its own process
# limit below this shell's: measured 32768 against 96365, and more than that fails).
capeff=$((16#$(awk '/^CapEff/ {print $2}' /proc/self/status)))
if (( (capeff >> 24 & 1) == 0 )); then
  nofile=$(ulimit -Hn)
  if [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ]; then nofile=65536; fi
  conf=('[containers]' "default_ulimits = [\"nofile=$nofile:$nofile\", \"nproc=4096:4096\"]" "${conf[@]}")
fi
mkdir -p /etc/containers/containers.conf.d
dropin=/etc/containers/containers.conf.d/50-devkit-ci.conf
if [ ${#conf[@]} -gt 0 ]; then
  { echo "# written by devkit's .ci/podman.sh for this machine"; printf '%s\n' "${conf[@]}"; } > "$dropin"
else
  rm -f "$dropin"
fi
# Podman's store on an overlay file system (a CI machine that is itself a container) cannot
# use the overlay driver: vfs there.
store=/var/lib/containers/storage
mkdir -p "$store"
if [ "$(stat -f -c %T "$store")" = overlayfs ] && [ ! -e /etc/containers/storage.conf ]; then
  printf '[storage]\ndriver = "vfs"\nrunroot = "/run/containers/storage"\ngraphroot = "%s"\n' \
    "$store" > /etc/containers/storage.conf
  say "the store is on overlayfs: storage driver vfs"
fi

# busybox:latest, the image the tests run: the Docker engine's own (the same bits on both
# engines), else made as .ci/base-images.sh makes it.
if ! podman image exists busybox:latest; then
  if docker image inspect busybox:latest >/dev/null 2>&1; then
    docker save busybox:latest | podman load -q >/dev/null
  else
    root=$(mktemp -d)
    mkdir -p "$root/bin" "$root/tmp"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do
      [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
    done
    tar -C "$root" -c . | podman import -q -c 'CMD ["sh"]' - docker.io/library/busybox:latest >/dev/null
    rm -rf "$root"
  fi
  say "busybox:latest is in Podman's store"
fi

# A container must start with these settings (the tests run busybox in Podman).
if ! out=$(podman run --rm --network none busybox:latest true 2>&1); then
  say "a container does not start in Podman: $out"
  exit 1
fi

answers() { podman --remote --url "unix://$sock" version >/dev/null 2>&1; }
if ! answers; then
  mkdir -p "$(dirname "$sock")"
  rm -f "$sock"
  # setsid: the service outlives this script (CI runs the tests after it). From /: conmon
  # fails to start any container when the service's working folder is gone ("Failed to get
  # working directory"), and a CI checkout may be removed while the service still runs.
  # setsid -f: the service is not a child of anything here, and nothing here keeps this
  # script's stdout (CI reads it through $(...), which would otherwise wait for the service).
  (cd / && setsid -f podman system service --time=0 "unix://$sock" >"$log" 2>&1 < /dev/null) \
    >/dev/null 2>&1 < /dev/null
  for _ in $(seq 60); do answers && break; sleep 0.5; done
  answers || { tail -20 "$log" >&2; say "podman system service did not start"; exit 1; }
fi
say "$(podman --remote --url "unix://$sock" version --format 'Podman {{.Server.Version}} (API {{.Server.APIVersion}})') at unix://$sock"
echo "unix://$sock"
