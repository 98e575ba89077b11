#!/usr/bin/env bash
# Start a local container registry for the prebuild tests: Debian's docker-registry (the
# distribution project's registry:2) on 127.0.0.1:5000, plain HTTP, no auth, data in
# /var/tmp/devkit-ci-registry. Docker trusts 127.0.0.0/8 as an insecure registry by default,
# so the engine pushes there without any configuration. The tests find it through
# DEVKIT_TEST_REGISTRY (default 127.0.0.1:5000).
# Idempotent: a registry already answering there is left alone.
#   bash .ci/registry.sh           # start (installs docker-registry when missing, and
#                                  # htpasswd + openssl for the TLS/htpasswd registry test)
set -euo pipefail
ADDR=${DEVKIT_TEST_REGISTRY:-127.0.0.1:5000}
DIR=/var/tmp/devkit-ci-registry

answers() { command -v curl >/dev/null && curl -fsS -o /dev/null --max-time 2 "http://$ADDR/v2/" 2>/dev/null; }

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
if answers; then
  echo "registry already answers on $ADDR"
  exit 0
fi
# The package's own service (htpasswd auth on :5000, started by systemd or its init script
# where the machine runs them) would hold the port: it answers 401.
if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$ADDR/v2/" || true)" = 401 ]; then
  if command -v systemctl >/dev/null && systemctl is-active --quiet docker-registry 2>/dev/null; then
    systemctl stop docker-registry
  elif [ -x /etc/init.d/docker-registry ]; then
    /etc/init.d/docker-registry stop >/dev/null || true
  fi
fi
mkdir -p "$DIR/data"
cat > "$DIR/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $DIR/data
  delete:
    enabled: true
http:
  addr: $ADDR
EOF
nohup docker-registry serve "$DIR/config.yml" >"$DIR/registry.log" 2>&1 &
for _ in $(seq 30); do answers && break; sleep 0.5; done
answers || { echo "registry did not start on $ADDR:" >&2; tail -5 "$DIR/registry.log" >&2; exit 1; }
echo "registry on $ADDR (data in $DIR/data)"
