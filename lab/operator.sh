#!/usr/bin/env bash
# What runs on the management cluster's nodes, in the order it needs: its pod network and CoreDNS
# (lab/management/addons.ts), the LoadBalancer controller (lab/management/loadBalancer.ts, a process
# on the machine that gives LoadBalancer Services an address on the lab bridge), and the real
# Kamaji operator v1.0.0 (lab/management/kamaji.ts).
#   lab/operator.sh up | down | status
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
source "$REPO/scripts/versions.env"

MGMT=$LAB_DIR/management
D=$MGMT/operator
NODE=$REPO/node_modules/.bin/node
REGISTRY=$BRIDGE_IP:5000
KAMAJI_NODE=mgmt-1
KAMAJI_NODE_IP=$LAB_SUBNET.51
LB_POOL=$LAB_SUBNET.100-$LAB_SUBNET.149
# The pool's last address: the tenants take theirs from its start (lab/defaultStack.ts).
PROBE_IP=$LAB_SUBNET.149
kc() { kubectl --kubeconfig "$MGMT/admin.kubeconfig" "$@"; }

# image REFERENCE_PREFIX: the pull name of the lab image whose reference starts so (images.json).
image() {
  "$NODE" -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const refs = r.images.flatMap((i) => i.references);
    const hit = refs.find((x) => x.startsWith(process.argv[2]));
    if (!hit) { console.error(`[lab] ERROR: no image ${process.argv[2]}* in ${process.argv[1]} (is its binary in the toolchain?)`); process.exit(1); }
    process.stdout.write(/^[^/]*[.:][^/]*\//.test(hit) ? hit : `${process.argv[3]}/${hit}`);' \
    "$LAB_DIR/images.json" "$1" "$REGISTRY"
}

addons_up() {
  "$NODE" "$REPO/dist/lab/management/addons.js" --api "$BRIDGE_IP:$MGMT_API_PORT" \
    --podnet-image "$(image hcp-lab/podnet:)" --coredns-image "$(image "registry.k8s.io/coredns/coredns:v$COREDNS_VERSION")" |
    kc apply -f - >/dev/null
  kc wait node --all --for=condition=Ready --timeout=180s >/dev/null ||
    lab_die "management nodes not Ready after 180 s: kubectl --kubeconfig $MGMT/admin.kubeconfig describe nodes"
  kc -n kube-system rollout status deployment/coredns --timeout=180s >/dev/null ||
    lab_die "CoreDNS not available after 180 s: kubectl --kubeconfig $MGMT/admin.kubeconfig -n kube-system describe pods"
}

lb_up() {
  mkdir -p "$D"
  pid_alive "$D/loadbalancer.pid" && return 0
  setsid "$NODE" "$REPO/dist/lab/management/loadBalancer.js" --kubeconfig "$MGMT/admin.kubeconfig" \
    --pool "$LB_POOL" --netns "${NETNS_PREFIX}$KAMAJI_NODE" >> "$D/loadbalancer.log" 2>&1 < /dev/null &
  echo $! > "$D/loadbalancer.pid"
  sleep 1
  pid_alive "$D/loadbalancer.pid" || lab_die "the LoadBalancer controller exited; see $D/loadbalancer.log"
}

# A LoadBalancer Service without pods, whose address proves the controller works: it is also what
# ManagementCluster's preflight finds (a LoadBalancer Service with an address) instead of warning.
lb_probe() {
  kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: hcp-lab-loadbalancer-probe, namespace: kube-system}
spec: {type: LoadBalancer, loadBalancerIP: $PROBE_IP, ports: [{port: 9, protocol: TCP}]}
YAML
  wait_for "the probe Service's LoadBalancer address" 30 \
    bash -c "kubectl --kubeconfig '$MGMT/admin.kubeconfig' -n kube-system get service hcp-lab-loadbalancer-probe -o jsonpath='{.status.loadBalancer.ingress[0].ip}' | grep -q ." ||
    lab_die "the LoadBalancer controller gave no address in 30 s; see $D/loadbalancer.log"
}

kamaji_up() {
  mkdir -p "$D"
  mint_cert "$MGMT/pki" kamaji-webhook "/CN=kamaji-webhook" \
    "IP:$KAMAJI_NODE_IP,DNS:kamaji-webhook-service.kamaji-system.svc" serverAuth
  local envs; envs=$(bash "$HERE/etcd-cluster.sh" env lab-datastore)
  get() { printf '%s\n' "$envs" | sed -n "s/^$1=//p"; }
  local stage
  for stage in prerequisites operator admission; do
    "$NODE" "$REPO/dist/lab/management/kamaji.js" --stage "$stage" --image "$(image "docker.io/clastix/kamaji:v$KAMAJI_VERSION")" \
      --node "$KAMAJI_NODE" --node-ip "$KAMAJI_NODE_IP" --ca "$MGMT/pki/ca.crt" \
      --cert "$MGMT/pki/kamaji-webhook.crt" --key "$MGMT/pki/kamaji-webhook.key" \
      --datastore-endpoints "$(get ETCD_ENDPOINTS)" --datastore-ca "$(get ETCD_CACERT)" --datastore-ca-key "$(get ETCD_CA_KEY)" \
      --datastore-client-cert "$(get ETCD_CERT)" --datastore-client-key "$(get ETCD_KEY)" > "$D/kamaji-$stage.yaml"
    kc apply -f "$D/kamaji-$stage.yaml" >/dev/null
    if [ "$stage" = operator ]; then
      kc -n kamaji-system rollout status deployment/kamaji --timeout=180s >/dev/null ||
        lab_die "the Kamaji manager is not available after 180 s: kubectl --kubeconfig $MGMT/admin.kubeconfig -n kamaji-system logs deploy/kamaji"
      wait_for "Kamaji's webhook server" 60 curl -sk -o /dev/null "https://$KAMAJI_NODE_IP:9443/" ||
        lab_die "Kamaji's webhook server does not answer on $KAMAJI_NODE_IP:9443"
    fi
  done
}

up() {
  addons_up
  lb_up
  lb_probe
  kamaji_up
}

down() {
  stop_pid "$D/loadbalancer.pid"
  rm -rf "$D"
}

status() {
  local ok=0
  if pid_alive "$D/loadbalancer.pid"; then echo "LoadBalancer controller: up"; else echo "LoadBalancer controller: down"; ok=1; fi
  if kc -n kamaji-system get deployment kamaji -o jsonpath='{.status.availableReplicas}' 2>/dev/null | grep -q '^[1-9]'; then
    echo "Kamaji operator v$KAMAJI_VERSION: available"
  else echo "Kamaji operator: not available"; ok=1; fi
  return $ok
}

case ${1:-} in
  up) up ;; down) down ;; status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
