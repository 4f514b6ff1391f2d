#!/usr/bin/env bash
# An N-member etcd cluster on loopback with mutual TLS for clients and peers — the lab's stand-in
# for a Kamaji DataStore (kamaji-etcd runs etcd the same way: --client-cert-auth, one CA for server,
# peer and client certificates, a root client certificate with CN=root, O=system:masters).
#
#   lab/etcd-cluster.sh up NAME [--members N] [--base-port P] [--address A] [--auth] [--ca-cert F --ca-key F]
#   lab/etcd-cluster.sh down NAME
#   lab/etcd-cluster.sh status NAME            exit 0 all healthy, 3 degraded, 1 no such cluster
#   lab/etcd-cluster.sh stop-member NAME I     I counts from 0
#   lab/etcd-cluster.sh start-member NAME I [-- EXTRA-ETCD-FLAGS...]
#   lab/etcd-cluster.sh env NAME               print ETCD_* variables for etcdctl / scripts
#
# Member I listens for clients on A:P+2I and for peers on A:P+2I+1 (defaults: A=127.0.0.1, N=3,
# P=23790). State (certificates, data, logs, pids) lives in ${HCP_LAB_DIR:-<repo>/.lab}/etcd/NAME;
# `up` is idempotent (it starts what is not running), `down` stops every member and deletes it.
# --auth does what kamaji-etcd's post-install job does: user root (no password) with role root,
# then `etcdctl auth enable`; with client-cert auth the certificate CN is the user name.
# --ca-cert/--ca-key: sign the members' and root's certificates with this RSA CA (e.g. one minted
# with @pulumi/tls) instead of one minted here.
#
# Binaries: $ETCD_BIN, else <repo>/bin/etcd, else etcd on PATH; $ETCDCTL_BIN, else etcdctl from
# <repo>/bin or PATH, else a small Node script using the etcd3 package.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '6,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2; }

resolve_bins() {
  if [ -z "${ETCD_BIN:-}" ]; then
    if [ -x "$BIN/etcd" ]; then ETCD_BIN=$BIN/etcd
    else ETCD_BIN=$(command -v etcd || true); fi
  fi
  [ -n "$ETCD_BIN" ] && [ -x "$ETCD_BIN" ] || lab_die "no etcd binary: set ETCD_BIN, run scripts/toolchain (bin/etcd), or apt-get install etcd-server"
  if [ -z "${ETCDCTL_BIN:-}" ]; then
    if [ -x "$BIN/etcdctl" ]; then ETCDCTL_BIN=$BIN/etcdctl
    else ETCDCTL_BIN=$(command -v etcdctl || true); fi
  fi
  ETCD_VERSION_STR=$("$ETCD_BIN" --version 2>/dev/null | sed -n 's/^etcd Version: //p' | head -1)
  [ -n "$ETCD_VERSION_STR" ] || lab_die "$ETCD_BIN --version printed no version"
}

# version_ge A B: dotted version A >= B
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }

load_cluster() {
  NAME=$1
  [[ $NAME =~ ^[a-z0-9][a-z0-9-]{0,40}$ ]] || lab_die "NAME: must be lower-case letters, digits and '-' (got '$NAME')"
  D=$LAB_DIR/etcd/$NAME
  PKI=$D/pki
  ADDRESS=127.0.0.1
  if [ -f "$D/cluster.env" ]; then . "$D/cluster.env"; fi
}

client_port() { echo $((BASE_PORT + 2 * $1)); }
peer_port() { echo $((BASE_PORT + 2 * $1 + 1)); }
endpoint() { echo "https://$ADDRESS:$(client_port "$1")"; }
all_endpoints() { local i s=""; for ((i = 0; i < MEMBERS; i++)); do s+="${s:+,}$(endpoint $i)"; done; echo "$s"; }
initial_cluster() { local i s=""; for ((i = 0; i < MEMBERS; i++)); do s+="${s:+,}m$i=https://$ADDRESS:$(peer_port $i)"; done; echo "$s"; }

# ectl ENDPOINTS ARGS...: etcdctl as root (client certificate CN=root)
ectl() {
  local eps=$1; shift
  ETCDCTL_API=3 "$ETCDCTL_BIN" --endpoints="$eps" --cacert "$PKI/ca.crt" --cert "$PKI/root.crt" --key "$PKI/root.key" \
    --dial-timeout 2s --command-timeout 5s "$@"
}

# node_admin OP ENDPOINTS: the etcdctl-less fallback (ops: health, auth-setup)
node_admin() {
  NODE_PATH=$REPO/node_modules node - "$1" "$2" "$PKI" <<'JS'
const fs = require("fs");
const { Etcd3 } = require("etcd3");
const { noop } = require("cockatiel");
const [op, eps, pki] = process.argv.slice(2);
const rd = (f) => fs.readFileSync(`${pki}/${f}`);
const client = (hosts) => new Etcd3({
  hosts, dialTimeout: 2000, faultHandling: { host: () => noop, global: noop },
  defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 5000 }),
  credentials: { rootCertificate: rd("ca.crt"), certChain: rd("root.crt"), privateKey: rd("root.key") },
});
(async () => {
  if (op === "health") {
    let bad = 0;
    for (const ep of eps.split(",")) {
      const c = client([ep]);
      try { await c.get("health").string(); console.log(`${ep} is healthy`); }
      catch (e) { bad++; console.log(`${ep} is unhealthy: ${e.message}`); }
      finally { c.close(); }
    }
    process.exit(bad ? 1 : 0);
  }
  if (op === "auth-setup") {
    const c = client(eps.split(","));
    const ignore = (re) => (e) => { if (!re.test(e.message)) throw e; };
    await c.auth.userAdd({ name: "root", options: { no_password: true } }).catch(ignore(/already exists/));
    await c.auth.roleAdd({ name: "root" }).catch(ignore(/already exists/));
    await c.auth.userGrantRole({ user: "root", role: "root" });
    await c.auth.authEnable();
    c.close();
    return;
  }
  throw new Error(`unknown op ${op}`);
})().catch((e) => { console.error(e.message); process.exit(1); });
JS
}

endpoint_healthy() {
  if [ -n "$ETCDCTL_BIN" ]; then ectl "$1" endpoint health >/dev/null 2>&1
  else node_admin health "$1" >/dev/null 2>&1; fi
}

# use_ca CERT KEY: the cluster's CA is this one (e.g. minted with @pulumi/tls), not one minted here;
# the members' and root's certificates are signed by it. RSA, as a Kamaji DataStore's CA must be.
use_ca() {
  if [ -z "$1" ] || [ -z "$2" ]; then lab_die "--ca-cert and --ca-key go together"; fi
  [ -r "$1" ] && [ -r "$2" ] || lab_die "--ca-cert/--ca-key: cannot read '$1' or '$2'"
  openssl x509 -in "$1" -noout -text 2>/dev/null | grep -q rsaEncryption ||
    lab_die "--ca-cert: must be a PEM certificate with an RSA key (Kamaji v1.0.0 signs tenant certificates only with RSA)"
  [ "$(openssl x509 -in "$1" -noout -pubkey | sha256sum)" = "$(openssl pkey -in "$2" -pubout 2>/dev/null | sha256sum)" ] ||
    lab_die "--ca-key: does not match --ca-cert"
  mkdir -p "$PKI"
  if ! cmp -s "$1" "$PKI/ca.crt"; then
    # Another CA: its leaves go too.
    find "$PKI" -maxdepth 1 \( -name '*.crt' -o -name '*.key' -o -name '*.srl' \) -delete
    install -m 644 "$1" "$PKI/ca.crt"
    install -m 600 "$2" "$PKI/ca.key"
  fi
}

mint_pki() {
  # RSA in PKCS#1 form: a Kamaji DataStore's CA key must be (Kamaji v1.0.0 parses nothing else).
  mint_ca "$PKI" "etcd-$NAME-ca" rsa
  local i
  for ((i = 0; i < MEMBERS; i++)); do
    # One certificate per member for both client-facing TLS and peer TLS (peers are clients too).
    mint_cert "$PKI" "m$i" "/CN=etcd-$NAME-m$i" "IP:127.0.0.1,DNS:localhost${ADDRESS:+,IP:$ADDRESS}" "serverAuth,clientAuth"
  done
  mint_cert "$PKI" root "/O=system:masters/CN=root" "" clientAuth
}

# running PID: the process exists and is not a zombie (etcd is re-parented to PID 1 when `up`
# exits; this container's PID 1 reaps slowly, and kill -0 succeeds on a zombie).
running() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# stop_process PID SIGNAL SECONDS: signal PID, wait until it is gone, then KILL.
stop_process() {
  local pid=$1 sig=$2 secs=$3 n
  kill "-$sig" "$pid" 2>/dev/null || return 0
  for ((n = 0; n < secs * 20; n++)); do running "$pid" || return 0; sleep 0.05; done
  kill -9 "$pid" 2>/dev/null || true
  for ((n = 0; n < 100; n++)); do running "$pid" || return 0; sleep 0.05; done
}

# pid_is_member FILE I: the recorded process is alive and is this member's etcd (guards against pid reuse).
pid_is_member() {
  [ -f "$1" ] && running "$(cat "$1")" && tr '\0' ' ' < "/proc/$(cat "$1")/cmdline" 2>/dev/null | grep -q -- "--data-dir $D/m$2 "
}

# start_member I [EXTRA FLAGS...]: start member I unless it runs (does not wait)
start_member() {
  local i=$1; shift
  local pidf=$D/m$i.pid
  if pid_is_member "$pidf" "$i"; then return 0; fi
  rm -f "$pidf"
  port_free "$(client_port "$i")" "$ADDRESS" || lab_die "member $i: $ADDRESS:$(client_port "$i") is in use by another process; pick another --base-port"
  port_free "$(peer_port "$i")" "$ADDRESS" || lab_die "member $i: $ADDRESS:$(peer_port "$i") is in use by another process; pick another --base-port"
  local extra=()
  version_ge "$ETCD_VERSION_STR" 3.5.0 && extra+=(--unsafe-no-fsync=true) || extra+=(--logger zap)
  local state=new
  [ -d "$D/m$i/member" ] && state=existing
  mkdir -p "$D/logs"
  # shellcheck disable=SC2086
  setsid "$ETCD_BIN" --name "m$i" --data-dir "$D/m$i" \
    --listen-client-urls "$(endpoint "$i")" --advertise-client-urls "$(endpoint "$i")" \
    --listen-peer-urls "https://$ADDRESS:$(peer_port "$i")" --initial-advertise-peer-urls "https://$ADDRESS:$(peer_port "$i")" \
    --initial-cluster "$(initial_cluster)" --initial-cluster-state "$state" --initial-cluster-token "lab-$NAME" \
    --client-cert-auth=true --trusted-ca-file "$PKI/ca.crt" --cert-file "$PKI/m$i.crt" --key-file "$PKI/m$i.key" \
    --peer-client-cert-auth=true --peer-trusted-ca-file "$PKI/ca.crt" --peer-cert-file "$PKI/m$i.crt" --peer-key-file "$PKI/m$i.key" \
    --log-level warn "${extra[@]}" ${ETCD_EXTRA_ARGS:-} "$@" \
    >> "$D/logs/m$i.log" 2>&1 < /dev/null &
  echo $! > "$pidf"
}

wait_healthy() {
  local i
  for i in "$@"; do
    wait_for "member $i" 60 endpoint_healthy "$(endpoint "$i")" ||
      lab_die "member $i ($(endpoint "$i")) did not become healthy within 60 s; see $D/logs/m$i.log"
  done
}

setup_auth() {
  local eps; eps=$(all_endpoints)
  if [ -n "$ETCDCTL_BIN" ]; then
    ectl "$eps" user get root >/dev/null 2>&1 || ectl "$eps" user add --no-password root >/dev/null
    ectl "$eps" role get root >/dev/null 2>&1 || ectl "$eps" role add root >/dev/null
    ectl "$eps" user get root 2>/dev/null | grep -q 'Roles: .*root' || ectl "$eps" user grant-role root root >/dev/null
    ectl "$eps" auth enable >/dev/null
  else
    node_admin auth-setup "$eps"
  fi
  echo 1 > "$D/auth-enabled"
}

cmd_up() {
  local name=$1; shift
  local members="" base="" address="" auth=0 ca_cert="" ca_key=""
  while [ $# -gt 0 ]; do
    case $1 in
      --ca-cert) ca_cert=$2; shift 2 ;;
      --ca-key) ca_key=$2; shift 2 ;;
      --members) members=$2; shift 2 ;;
      --base-port) base=$2; shift 2 ;;
      --address) address=$2; shift 2 ;;
      --auth) auth=1; shift ;;
      *) lab_die "up: unknown option '$1'" ;;
    esac
  done
  load_cluster "$name"
  if [ -f "$D/cluster.env" ]; then
    [ -z "$members" ] || [ "$members" = "$MEMBERS" ] || lab_die "cluster $NAME exists with $MEMBERS members; run '$0 down $NAME' to change --members"
    [ -z "$base" ] || [ "$base" = "$BASE_PORT" ] || lab_die "cluster $NAME exists on base port $BASE_PORT; run '$0 down $NAME' to change --base-port"
    [ -z "$address" ] || [ "$address" = "$ADDRESS" ] || lab_die "cluster $NAME exists on address $ADDRESS; run '$0 down $NAME' to change --address"
  else
    ADDRESS=${address:-127.0.0.1}
    [[ $ADDRESS =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || lab_die "--address: must be an IPv4 address of this machine (got '$ADDRESS')"
    MEMBERS=${members:-3}; BASE_PORT=${base:-23790}
    [[ $MEMBERS =~ ^[1-9]$ ]] || lab_die "--members: must be 1..9 (got '$MEMBERS')"
    [[ $BASE_PORT =~ ^[0-9]+$ ]] && [ "$BASE_PORT" -ge 1024 ] && [ $((BASE_PORT + 2 * MEMBERS)) -le 65535 ] ||
      lab_die "--base-port: must leave room for $((2 * MEMBERS)) ports in 1024..65535 (got '$BASE_PORT')"
    local lo hi
    read -r lo hi < /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { lo=32768; hi=60999; }
    [ $((BASE_PORT + 2 * MEMBERS - 1)) -lt "$lo" ] || [ "$BASE_PORT" -gt "$hi" ] ||
      lab_die "--base-port: $BASE_PORT..$((BASE_PORT + 2 * MEMBERS - 1)) overlaps the ephemeral port range $lo..$hi (outgoing connections may hold those ports); pick a base below $((lo - 2 * MEMBERS))"
    mkdir -p "$D"
    printf 'MEMBERS=%s\nBASE_PORT=%s\nADDRESS=%s\n' "$MEMBERS" "$BASE_PORT" "$ADDRESS" > "$D/cluster.env"
  fi
  local t0; t0=$(date +%s%N)
  if [ -n "$ca_cert$ca_key" ]; then use_ca "$ca_cert" "$ca_key"; fi
  mint_pki
  local i
  for ((i = 0; i < MEMBERS; i++)); do start_member "$i"; done
  wait_healthy $(seq 0 $((MEMBERS - 1)))
  if [ "$auth" = 1 ] || [ -f "$D/auth-enabled" ]; then setup_auth; fi
  lab_log "etcd cluster $NAME up ($MEMBERS members, etcd $ETCD_VERSION_STR, auth $([ -f "$D/auth-enabled" ] && echo on || echo off)) in $((($(date +%s%N) - t0) / 1000000)) ms"
  cmd_env_print
}

cmd_env_print() {
  cat <<EOF
ETCD_ENDPOINTS=$(all_endpoints)
ETCD_CACERT=$PKI/ca.crt
ETCD_CERT=$PKI/root.crt
ETCD_KEY=$PKI/root.key
ETCD_CA_KEY=$PKI/ca.key
ETCD_DIR=$D
EOF
}

require_cluster() {
  load_cluster "$1"
  [ -f "$D/cluster.env" ] || lab_die "no etcd cluster named '$1' (run '$0 up $1')"
}

member_index() {
  [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -lt "$MEMBERS" ] || lab_die "member index: must be 0..$((MEMBERS - 1)) (got '$1')"
}

stop_member() {
  local i=$1 pidf=$D/m$1.pid
  # Graceful (TERM: etcd hands off leadership first), KILL after 15 s.
  if pid_is_member "$pidf" "$i"; then stop_process "$(cat "$pidf")" TERM 15; fi
  rm -f "$pidf"
}

cmd_down() {
  load_cluster "$1"
  [ -d "$D" ] || return 0
  local i f pid
  for f in "$D"/m*.pid; do
    [ -e "$f" ] || continue
    i=${f##*/m}; i=${i%.pid}
    # The data is deleted next, so no graceful shutdown (which takes 2-5 s per member): KILL.
    if pid_is_member "$f" "$i"; then stop_process "$(cat "$f")" KILL 5; fi
    rm -f "$f"
  done
  rm -rf "$D"
  lab_log "etcd cluster $NAME down"
}

cmd_status() {
  require_cluster "$1"
  local i state bad=0
  echo "etcd cluster $NAME: $MEMBERS members, etcd $ETCD_VERSION_STR, auth $([ -f "$D/auth-enabled" ] && echo on || echo off)"
  for ((i = 0; i < MEMBERS; i++)); do
    if pid_is_member "$D/m$i.pid" "$i"; then
      if endpoint_healthy "$(endpoint "$i")"; then state=healthy; else state="running, unhealthy"; bad=1; fi
    else state=stopped; bad=1; fi
    echo "  m$i $(endpoint "$i") pid=$(cat "$D/m$i.pid" 2>/dev/null || echo -) $state"
  done
  if [ -n "$ETCDCTL_BIN" ]; then
    local alarms; alarms=$(ectl "$(all_endpoints)" alarm list 2>/dev/null || true)
    [ -z "$alarms" ] || { echo "  alarms: $alarms"; bad=1; }
  fi
  [ $bad = 0 ] || return 3
}

main() {
  [ $# -ge 2 ] || usage
  local cmd=$1 name=$2; shift 2
  case $cmd in
    up) resolve_bins; cmd_up "$name" "$@" ;;
    down) cmd_down "$name" ;;
    status) resolve_bins; cmd_status "$name" ;;
    env) require_cluster "$name"; cmd_env_print ;;
    stop-member)
      [ $# -ge 1 ] || usage
      require_cluster "$name"; member_index "$1"; stop_member "$1"; lab_log "member $1 of $NAME stopped" ;;
    start-member)
      [ $# -ge 1 ] || usage
      resolve_bins; require_cluster "$name"; member_index "$1"
      local i=$1; shift
      [ "${1:-}" != "--" ] || shift
      start_member "$i" "$@"
      # A lone member of a cluster that lost quorum cannot answer a linearizable read: report
      # that it runs, and wait for health only when a quorum is (or will be) up.
      local up=0 j
      for ((j = 0; j < MEMBERS; j++)); do pid_is_member "$D/m$j.pid" "$j" && up=$((up + 1)); done
      if [ $up -ge $((MEMBERS / 2 + 1)) ]; then wait_healthy "$i"; lab_log "member $i of $NAME started and healthy"
      else
        wait_for "member $i port" 30 bash -c "exec 3<>/dev/tcp/$ADDRESS/$(client_port "$i")" ||
          lab_die "member $i did not open its client port; see $D/logs/m$i.log"
        lab_log "member $i of $NAME started (no quorum: $up of $MEMBERS members running)"
      fi ;;
    *) usage ;;
  esac
}

main "$@"
