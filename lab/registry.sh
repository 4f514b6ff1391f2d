#!/usr/bin/env bash
# The lab's container registry: distribution's `registry` binary, the mirror every node's containerd
# pulls through (certs.d/<upstream>/hosts.toml pointing at it). Images go in with
# `node dist/lab/images/build.js http://ADDR`.
#   lab/registry.sh up|down|status
# Listens on $HCP_REGISTRY_ADDR (default 127.0.0.1:5000). Storage under $HCP_LAB_DIR/registry/data
# (kept by `down`; `down --purge` removes it). The access log, one line per request (what proves
# which images the nodes pulled), goes to $HCP_LAB_DIR/registry/logs/registry.log.
# Idempotent: `up` on a running registry only checks it answers; `down` twice is harmless.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

D=$LAB_DIR/registry
ADDR=${HCP_REGISTRY_ADDR:-$(cat "$D/addr" 2>/dev/null || echo 127.0.0.1:5000)}
LOG=$D/logs/registry.log
REGISTRY_BIN=${HCP_REGISTRY_BIN:-$BIN/registry}

registry_ready() { curl -sf "http://$ADDR/v2/" >/dev/null; }

write_config() {
  cat > "$D/config.yml.tmp" <<YAML
version: 0.1
log:
  level: info
  formatter: text
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $D/data
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: $ADDR
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: false
YAML
  mv "$D/config.yml.tmp" "$D/config.yml"
}

up() {
  [ -x "$REGISTRY_BIN" ] || lab_die "$REGISTRY_BIN is missing: run scripts/toolchain first (it builds github.com/distribution/distribution/v3/cmd/registry)"
  mkdir -p "$D/data" "$D/logs"
  if pid_alive "$D/registry.pid"; then
    [ "$(cat "$D/addr" 2>/dev/null)" = "$ADDR" ] ||
      lab_die "the registry runs on $(cat "$D/addr" 2>/dev/null) already: run '$0 down' before moving it to $ADDR"
  else
    (exec 3<>"/dev/tcp/${ADDR%:*}/${ADDR##*:}") 2>/dev/null && lab_die "$ADDR is taken: set HCP_REGISTRY_ADDR"
    write_config
    lab_log "starting the registry on http://$ADDR (storage $D/data)"
    # OTEL: distribution v3 exports traces by default; nothing listens for them here.
    OTEL_TRACES_EXPORTER=none setsid "$REGISTRY_BIN" serve "$D/config.yml" >> "$LOG" 2>&1 < /dev/null &
    echo $! > "$D/registry.pid"
    echo "$ADDR" > "$D/addr"
  fi
  wait_for "registry" 30 registry_ready || lab_die "the registry does not answer on http://$ADDR/v2/ after 30 s; see $LOG"
  lab_log "registry ready on http://$ADDR; log $LOG"
}

down() {
  stop_pid "$D/registry.pid"
  rm -f "$D/addr"
  [ "${1:-}" = --purge ] && rm -rf "$D/data"
  lab_log "registry stopped"
}

status() {
  local s=down
  pid_alive "$D/registry.pid" && registry_ready && s=ready
  echo "registry: $s (http://$ADDR, storage $D/data, log $LOG)"
  [ "$s" = ready ]
}

case ${1:-} in
  up) up ;; down) down "${2:-}" ;; status) status ;;
  *) echo "usage: $0 up|down [--purge]|status" >&2; exit 2 ;;
esac
