#!/usr/bin/env bash
# The lab's management cluster: a real etcd, kube-apiserver, kube-controller-manager and kube-scheduler on the
# machine. The API listens on every address of the machine and is advertised on the lab bridge,
# where its nodes (lab/management-nodes.sh) and their pods reach it; the admin kubeconfig uses
# loopback. The controller-manager matters: foreground deletion (what pulumi-kubernetes asks for),
# namespace finalization, garbage collection, service-account tokens and the nodes' pod ranges
# only happen with it.
#   lab/management-cluster.sh up|down|status
# Idempotent: `up` on a running cluster only checks readiness; `down` twice is harmless.
# The admin kubeconfig is written to $HCP_LAB_DIR/management/admin.kubeconfig.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

D=$LAB_DIR/management
ETCD_PORT=${HCP_MGMT_ETCD_PORT:-$((12379 + PORT_OFFSET))}
API_PORT=$MGMT_API_PORT
SERVICE_CIDR=10.96.0.0/16
# The management pods' range; each node gets a /24 of it (kube-controller-manager's node IPAM).
POD_CIDR=10.244.0.0/16
KCM_PORT=${HCP_MGMT_KCM_PORT:-$((16257 + PORT_OFFSET))}
SCHED_PORT=${HCP_MGMT_SCHED_PORT:-$((16259 + PORT_OFFSET))}
KUBECONFIG_FILE=$D/admin.kubeconfig

apiserver_ready() {
  curl -sf --cacert "$D/pki/ca.crt" --cert "$D/pki/admin.crt" --key "$D/pki/admin.key" \
    "https://127.0.0.1:$API_PORT/readyz" | grep -q ok
}

up() {
  for b in etcd kube-apiserver; do [ -x "$BIN/$b" ] || lab_die "$BIN/$b is missing: run scripts/toolchain first"; done
  mkdir -p "$D/pki" "$D/logs"
  mint_ca "$D/pki" "hcp-lab-management-ca"
  mint_cert "$D/pki" apiserver "/CN=kube-apiserver" "IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes.default.svc,IP:$BRIDGE_IP" serverAuth
  # What the API server presents to kubelets (logs, exec, port-forward of management pods).
  mint_cert "$D/pki" apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "" clientAuth
  mint_cert "$D/pki" admin "/O=system:masters/CN=hcp-lab-admin" "" clientAuth
  mint_cert "$D/pki" controller-manager "/CN=system:kube-controller-manager" "" clientAuth
  [ -f "$D/pki/sa.key" ] || { openssl genrsa -out "$D/pki/sa.key" 2048 2>/dev/null; openssl rsa -in "$D/pki/sa.key" -pubout -out "$D/pki/sa.pub" 2>/dev/null; }

  if ! pid_alive "$D/etcd.pid"; then
    port_free "$ETCD_PORT" || lab_die "port $ETCD_PORT is taken: set HCP_MGMT_ETCD_PORT"
    lab_log "starting management etcd on 127.0.0.1:$ETCD_PORT"
    setsid etcd --name mgmt --data-dir "$D/etcd" \
      --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
      --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
      --initial-cluster "mgmt=http://127.0.0.1:$((ETCD_PORT + 1))" \
      --unsafe-no-fsync=true --log-level warn > "$D/logs/etcd.log" 2>&1 < /dev/null &
    echo $! > "$D/etcd.pid"
    wait_for "etcd" 30 curl -sf "http://127.0.0.1:$ETCD_PORT/health" || lab_die "etcd did not become healthy; see $D/logs/etcd.log"
  fi

  if ! pid_alive "$D/apiserver.pid"; then
    port_free "$API_PORT" || lab_die "port $API_PORT is taken: set HCP_MGMT_API_PORT"
    lab_log "starting management kube-apiserver on https://127.0.0.1:$API_PORT"
    setsid kube-apiserver \
      --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
      --bind-address 0.0.0.0 --advertise-address "$BRIDGE_IP" --secure-port "$API_PORT" \
      --kubelet-client-certificate "$D/pki/apiserver-kubelet-client.crt" --kubelet-client-key "$D/pki/apiserver-kubelet-client.key" \
      --kubelet-preferred-address-types InternalIP \
      --tls-cert-file "$D/pki/apiserver.crt" --tls-private-key-file "$D/pki/apiserver.key" \
      --client-ca-file "$D/pki/ca.crt" \
      --service-cluster-ip-range "$SERVICE_CIDR" \
      --service-account-issuer "https://127.0.0.1:$API_PORT" \
      --service-account-key-file "$D/pki/sa.pub" --service-account-signing-key-file "$D/pki/sa.key" \
      --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction --allow-privileged=true \
      > "$D/logs/apiserver.log" 2>&1 < /dev/null &
    echo $! > "$D/apiserver.pid"
  fi
  wait_for "kube-apiserver" 90 apiserver_ready || lab_die "kube-apiserver not ready after 90 s; see $D/logs/apiserver.log"
  write_kubeconfig "$KUBECONFIG_FILE" "https://127.0.0.1:$API_PORT" "$D/pki/ca.crt" "$D/pki/admin.crt" "$D/pki/admin.key" hcp-lab-admin

  if ! pid_alive "$D/controller-manager.pid"; then
    [ -x "$BIN/kube-controller-manager" ] || lab_die "$BIN/kube-controller-manager is missing: run scripts/toolchain first"
    port_free "$KCM_PORT" || lab_die "port $KCM_PORT is taken: set HCP_MGMT_KCM_PORT"
    write_kubeconfig "$D/controller-manager.kubeconfig" "https://127.0.0.1:$API_PORT" "$D/pki/ca.crt" \
      "$D/pki/controller-manager.crt" "$D/pki/controller-manager.key" system:kube-controller-manager
    lab_log "starting management kube-controller-manager"
    setsid kube-controller-manager --kubeconfig "$D/controller-manager.kubeconfig" \
      --authentication-kubeconfig "$D/controller-manager.kubeconfig" --authorization-kubeconfig "$D/controller-manager.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port "$KCM_PORT" --leader-elect=false \
      --root-ca-file "$D/pki/ca.crt" --service-account-private-key-file "$D/pki/sa.key" --use-service-account-credentials \
      --cluster-signing-cert-file "$D/pki/ca.crt" --cluster-signing-key-file "$D/pki/ca.key" \
      --allocate-node-cidrs --cluster-cidr "$POD_CIDR" --node-cidr-mask-size 24 --service-cluster-ip-range "$SERVICE_CIDR" \
      --controllers '*,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller' \
      > "$D/logs/controller-manager.log" 2>&1 < /dev/null &
    echo $! > "$D/controller-manager.pid"
    wait_for "kube-controller-manager" 60 curl -skf "https://127.0.0.1:$KCM_PORT/healthz" ||
      lab_die "kube-controller-manager not healthy after 60 s; see $D/logs/controller-manager.log"
  fi
  if ! pid_alive "$D/scheduler.pid"; then
    [ -x "$BIN/kube-scheduler" ] || lab_die "$BIN/kube-scheduler is missing: run scripts/toolchain first"
    port_free "$SCHED_PORT" || lab_die "port $SCHED_PORT is taken: set HCP_MGMT_SCHED_PORT"
    mint_cert "$D/pki" scheduler "/CN=system:kube-scheduler" "" clientAuth
    write_kubeconfig "$D/scheduler.kubeconfig" "https://127.0.0.1:$API_PORT" "$D/pki/ca.crt" \
      "$D/pki/scheduler.crt" "$D/pki/scheduler.key" system:kube-scheduler
    lab_log "starting management kube-scheduler"
    setsid kube-scheduler --kubeconfig "$D/scheduler.kubeconfig" \
      --authentication-kubeconfig "$D/scheduler.kubeconfig" --authorization-kubeconfig "$D/scheduler.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port "$SCHED_PORT" --leader-elect=false \
      > "$D/logs/scheduler.log" 2>&1 < /dev/null &
    echo $! > "$D/scheduler.pid"
    wait_for "kube-scheduler" 60 curl -skf "https://127.0.0.1:$SCHED_PORT/healthz" ||
      lab_die "kube-scheduler not healthy after 60 s; see $D/logs/scheduler.log"
  fi
  lab_log "management cluster ready; kubeconfig: $KUBECONFIG_FILE"
}

down() {
  stop_pid "$D/scheduler.pid"
  stop_pid "$D/controller-manager.pid"
  stop_pid "$D/apiserver.pid"
  stop_pid "$D/etcd.pid"
  rm -rf "$D/etcd"
  lab_log "management cluster stopped"
}

status() {
  local e=down a=down c=down
  pid_alive "$D/etcd.pid" && e=up
  pid_alive "$D/apiserver.pid" && apiserver_ready && a=ready
  pid_alive "$D/controller-manager.pid" && pid_alive "$D/scheduler.pid" && c=up
  echo "management etcd: $e"
  echo "management kube-apiserver: $a (https://127.0.0.1:$API_PORT, kubeconfig $KUBECONFIG_FILE)"
  echo "management kube-controller-manager and kube-scheduler: $c"
  [ "$a" = ready ] && [ "$c" = up ]
}

case ${1:-} in
  up) up ;; down) down ;; status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
