#!/usr/bin/env bash
# Install the reference engine: Docker Engine >= 26 with buildx and Compose v2.
# Debian 13 (trixie) ships it; Debian 12 (bookworm) ships Docker 20.10 + docker-compose v1, so
# there Debian 13's own .debs (containerd, docker.io, docker-cli, docker-buildx, docker-compose)
# are installed with dpkg: they need nothing newer than Debian 12 has (verified), and the
# dockerd 26 they bring serves the images an older dockerd left in /var/lib/docker.
# Idempotent: does nothing when dockerd >= 26, buildx and Compose v2 are already there.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(containerd docker.io docker-cli docker-buildx docker-compose)
major() { dockerd --version 2>/dev/null | sed -nE 's/^Docker version ([0-9]+)\..*/\1/p'; }
v=$(major || true)
if [ -n "$v" ] && [ "$v" -ge 26 ] && docker buildx version >/dev/null 2>&1 \
  && docker compose version >/dev/null 2>&1; then
  exit 0
fi
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
case $codename in
  bookworm) ;;
  trixie|forky|sid)
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" runc tini iptables >/dev/null
    exit 0 ;;
  *) echo "engine.sh: Debian 12 or 13 expected, found '${codename:-unknown}'" >&2; exit 1 ;;
esac
apt-get update -qq
apt-get install -y -qq --no-install-recommends runc tini iptables adduser libsystemd0 >/dev/null
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/parts" "$work/lists/partial" "$work/cache/archives/partial"
# Debian 13's package lists in a folder of their own: the machine's apt sources stay as they are.
cat > "$work/parts/trixie.sources" <<SRC
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/parts"
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache")
apt-get "${apt[@]}" update -qq
(cd "$work" && apt-get "${apt[@]}" download "${pkgs[@]}" >/dev/null)
# docker.io before docker-cli: docker-cli Breaks an older docker.io, whose files it takes over.
for p in "${pkgs[@]}"; do
  dpkg -i --force-confold "$work/${p}"_*.deb >/dev/null
done
