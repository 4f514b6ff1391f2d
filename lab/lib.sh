# Shared helpers for the lab scripts (sourced, not run).
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_DIR=${HCP_LAB_DIR:-$REPO/.lab}
BIN=$REPO/bin
export PATH=$BIN:$REPO/node_modules/.bin:$PATH

lab_log() { printf '[lab] %s\n' "$*" >&2; }
lab_die() { printf '[lab] ERROR: %s\n' "$*" >&2; exit 1; }

# The lab instance. HCP_LAB_NET (0-9) picks the worker subnet 198.18.N.0/24, the bridge, the names
# of the hosts' namespaces and veths, and the management ports (+100·N), so that two labs run side
# by side: ./scripts/main's (N=0, .lab) and the test suite's (N=1, .lab-test; see scripts/test).
# tests/support/labNet.ts derives the same names from the same variable.
LAB_NET=${HCP_LAB_NET:-0}
[[ $LAB_NET =~ ^[0-9]$ ]] || lab_die "HCP_LAB_NET '$LAB_NET': use one digit, 0-9 (it picks the subnet 198.18.N.0/24)"
LAB_SUBNET=198.18.$LAB_NET
BRIDGE=hlbr$LAB_NET
BRIDGE_IP=$LAB_SUBNET.1
NETNS_PREFIX=hcph$LAB_NET-
VETH_PREFIX=hv$LAB_NET-
PORT_OFFSET=$((LAB_NET * 100))
if [ -f "$LAB_DIR/net" ] && [ "$(cat "$LAB_DIR/net")" != "$LAB_NET" ]; then
  lab_die "the lab in $LAB_DIR runs on HCP_LAB_NET=$(cat "$LAB_DIR/net"), not $LAB_NET: set HCP_LAB_NET=$(cat "$LAB_DIR/net"), or 'bash lab/lab down' it first"
fi

# lab_part WHAT CMD...: one part of the lab, with its start and how long it took.
lab_part() {
  local what=$1 t0; shift
  t0=$(date +%s)
  lab_log "$what: starting"
  "$@"
  lab_log "$what: ready in $(($(date +%s) - t0)) s"
}

# alive PID: the process runs and is not a zombie (this machine's init reaps exited children late,
# and kill -0 succeeds on a zombie).
alive() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# pid_alive FILE: the process recorded in FILE is running.
pid_alive() { [ -f "$1" ] && alive "$(cat "$1")"; }

# stop_pid FILE: TERM the recorded process, KILL it after 10 s, forget it.
stop_pid() {
  local f=$1 pid i
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if alive "$pid"; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do alive "$pid" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# wait_for DESCRIPTION SECONDS CMD...: poll CMD until it succeeds.
wait_for() {
  local what=$1 secs=$2 i; shift 2
  for i in $(seq 1 $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  return 1
}

# port_free PORT [ADDRESS]: nothing listens on ADDRESS:PORT (default 127.0.0.1).
port_free() { ! (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

# mint_ca DIR NAME [rsa]: a self-signed CA (ca.crt, ca.key) in DIR. EC P-256 by default; "rsa" gives
# an RSA-2048 key in PKCS#1 form (what Kamaji v1.0.0 needs of a DataStore CA). A CA of the other kind
# is minted anew, with every leaf it signed.
mint_ca() {
  local d=$1 name=$2 kind=${3:-ec}
  if [ -f "$d/ca.crt" ]; then
    local is_rsa=no text; text=$(openssl x509 -in "$d/ca.crt" -noout -text 2>/dev/null || true)
    [[ $text == *rsaEncryption* ]] && is_rsa=yes
    if [ "$kind:$is_rsa" = rsa:yes ] || [ "$kind:$is_rsa" = ec:no ]; then return 0; fi
    lab_log "the CA in $d is not $kind: minting it and its leaves anew"
    find "$d" -maxdepth 1 \( -name '*.crt' -o -name '*.key' -o -name '*.srl' \) ! -name 'sa.*' -delete
  fi
  mkdir -p "$d"
  if [ "$kind" = rsa ]; then
    openssl genrsa -traditional -out "$d/ca.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$d/ca.key" -days 3650 -subj "/CN=$name" -out "$d/ca.crt" 2>/dev/null
  else
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -subj "/CN=$name" -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  fi
  chmod 600 "$d/ca.key"
}

# mint_cert DIR NAME SUBJECT SANS USAGE: a leaf NAME.crt/.key signed by DIR/ca.
# USAGE is serverAuth, clientAuth or "serverAuth,clientAuth"; SANS like "IP:127.0.0.1,DNS:localhost" or "".
# An existing leaf is kept while it carries every SAN asked for (a lab of an older layout gets new ones).
mint_cert() {
  local d=$1 n=$2 subj=$3 sans=$4 usage=$5 ext
  if [ -f "$d/$n.crt" ]; then
    local have want ok=yes
    have=$(openssl x509 -in "$d/$n.crt" -noout -ext subjectAltName 2>/dev/null | tail -n +2 | tr -d ' ' | sed 's/IPAddress:/IP:/g')
    for want in ${sans//,/ }; do [[ ",$have," == *",$want,"* ]] || ok=no; done
    [ $ok = yes ] && return 0
  fi
  ext=$(mktemp)
  { echo "basicConstraints=CA:FALSE"; echo "keyUsage=digitalSignature,keyEncipherment"; echo "extendedKeyUsage=$usage"
    [ -n "$sans" ] && echo "subjectAltName=$sans"; } > "$ext"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$subj" \
    -keyout "$d/$n.key" -out "$d/$n.csr" 2>/dev/null
  openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 3650 \
    -extfile "$ext" -out "$d/$n.crt" 2>/dev/null
  chmod 600 "$d/$n.key"; rm -f "$d/$n.csr" "$ext"
}

# write_kubeconfig FILE SERVER CA CERT KEY USER
write_kubeconfig() {
  local f=$1 server=$2 ca=$3 crt=$4 key=$5 user=$6
  umask 077
  cat > "$f" <<KC
apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 < "$ca")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 < "$crt")
    client-key-data: $(base64 -w0 < "$key")
contexts:
- name: lab
  context: { cluster: lab, user: $user }
current-context: lab
KC
}

# install_host_tools NAME: on lab host NAME, the stand-ins for what this machine cannot run
# (systemctl: no systemd; modprobe: no loadable modules), and what a node's OS brings and this
# machine lacks (iptables, conntrack, socat, ethtool, ...): Debian's, unpacked by the toolchain.
install_host_tools() {
  local name=$1 tool
  for tool in systemctl modprobe; do
    bash "$REPO/lab/worker-hosts.sh" exec "$name" -- install -D -m 0755 "$REPO/lab/standins/$tool" "/usr/local/sbin/$tool"
  done
  for tool in "$BIN"/node-userland/*; do
    [ -e "$tool" ] || continue
    bash "$REPO/lab/worker-hosts.sh" exec "$name" -- ln -sfn "$(readlink -f "$tool")" "/usr/local/sbin/$(basename "$tool")"
  done
}

# The management cluster's API port, as its nodes and pods reach it on the lab bridge.
MGMT_API_PORT=${HCP_MGMT_API_PORT:-$((16443 + PORT_OFFSET))}
