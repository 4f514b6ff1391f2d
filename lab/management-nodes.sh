#!/usr/bin/env bash
# The management cluster's nodes, where Kamaji and the tenants' control planes run as pods: hosts
# like the workers (lab/worker-hosts.sh), prepared by the package's own host preparation script
# (containerd, runc, the CNI plugins and the kubelet from the lab's bundle, as on every worker),
# each with a real kube-proxy. The management cluster is the lab's own, not kubeadm's: each kubelet
# registers with a client certificate the lab mints (system:node:NAME), and kube-controller-manager
# hands each node a /24 of the pod range, which the pod network agent (lab/images/podnet) routes.
# Pods leaving the pod range are masqueraded to their node's address, so they reach the machine
# (the DataStore, the registry) and the workers without routes back.
#
#   lab/management-nodes.sh up SSH_PUBKEY | down | status
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
source "$REPO/scripts/versions.env"

MGMT=$LAB_DIR/management
NODES=${HCP_LAB_MGMT_NODES:-2}
POD_CIDR=10.244.0.0/16
SERVICE_CIDR=10.96.0.0/16
CLUSTER_DNS=10.96.0.10
NODE=$REPO/node_modules/.bin/node
KUBECTL="kubectl --kubeconfig $MGMT/admin.kubeconfig"

node_name() { echo "mgmt-$1"; }
node_ip() { echo "$LAB_SUBNET.$((50 + $1))"; }
in_node() { local n=$1; shift; bash "$HERE/worker-hosts.sh" exec "$n" -- "$@"; }
# put NAME SRC DEST MODE: copy a file of the machine into the node (its /etc and /var are its own).
put() { in_node "$1" install -D -m "$4" "$2" "$3"; }

node_up() {
  local i=$1 pub=$2 name ip d changed=no
  name=$(node_name "$i"); ip=$(node_ip "$i"); d=$MGMT/nodes/$name
  mkdir -p "$d"
  bash "$HERE/worker-hosts.sh" create "$name" "$ip" "$pub" > "$d/hostkey"
  install_host_tools "$name"

  # The same preparation PreparedHost runs on a worker, from the same bundle.
  "$NODE" "$REPO/dist/lab/management/nodeFiles.js" prepare-script --registry "$BRIDGE_IP:5000" \
    --bundle "$(bash "$HERE/bundle.sh" "$KUBERNETES_VERSION")" --version "v$KUBERNETES_VERSION" > "$d/prepare.sh"
  in_node "$name" env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    bash -s < "$d/prepare.sh" > "$d/prepare.log" 2>&1 || lab_die "preparing $name failed; see $d/prepare.log"
  grep -q '^HCP-STEP .* changed' "$d/prepare.log" && changed=yes

  mint_cert "$MGMT/pki" "node-$name" "/O=system:nodes/CN=system:node:$name" "" clientAuth
  mint_cert "$MGMT/pki" kube-proxy "/CN=system:kube-proxy" "" clientAuth
  local server=https://$BRIDGE_IP:$MGMT_API_PORT
  write_kubeconfig "$d/kubelet.conf" "$server" "$MGMT/pki/ca.crt" "$MGMT/pki/node-$name.crt" "$MGMT/pki/node-$name.key" "system:node:$name"
  write_kubeconfig "$d/kube-proxy.conf" "$server" "$MGMT/pki/ca.crt" "$MGMT/pki/kube-proxy.crt" "$MGMT/pki/kube-proxy.key" system:kube-proxy
  "$NODE" "$REPO/dist/lab/management/nodeFiles.js" kubelet-config --cgroup-root "/$NETNS_PREFIX$name" --cluster-dns "$CLUSTER_DNS" > "$d/config.yaml"
  "$NODE" "$REPO/dist/lab/management/nodeFiles.js" kube-proxy-config --cluster-cidr "$POD_CIDR" --hostname "$name" > "$d/kube-proxy.yaml"
  printf 'KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock --node-ip=%s"\n' "$ip" > "$d/kubelet-flags.env"
  cat > "$d/kube-proxy.service" <<UNIT
[Unit]
Description=kube-proxy of lab management node $name
[Service]
ExecStart=/usr/local/bin/kube-proxy --config=/var/lib/kube-proxy/config.yaml
Restart=always
RestartSec=2
UNIT
  put "$name" "$MGMT/pki/ca.crt" /etc/kubernetes/pki/ca.crt 0644
  put "$name" "$d/kubelet.conf" /etc/kubernetes/kubelet.conf 0600
  put "$name" "$d/config.yaml" /var/lib/kubelet/config.yaml 0644
  put "$name" "$d/kubelet-flags.env" /var/lib/kubelet/kubeadm-flags.env 0644
  put "$name" "$d/kube-proxy.conf" /var/lib/kube-proxy/kubeconfig 0600
  put "$name" "$d/kube-proxy.yaml" /var/lib/kube-proxy/config.yaml 0644
  put "$name" "$d/kube-proxy.service" /etc/systemd/system/kube-proxy.service 0644
  put "$name" "$BIN/kube-proxy" /usr/local/bin/kube-proxy 0755
  in_node "$name" mkdir -p /etc/kubernetes/manifests
  # Pods leaving the pod range go out as their node (nothing routes back to the pod range).
  in_node "$name" iptables -t nat -C POSTROUTING -s "$POD_CIDR" ! -d "$POD_CIDR" -j MASQUERADE 2>/dev/null ||
    in_node "$name" iptables -t nat -A POSTROUTING -s "$POD_CIDR" ! -d "$POD_CIDR" -j MASQUERADE
  # A route to the Service range, so that host-network pods (Kamaji) can connect to ClusterIPs:
  # kube-proxy rewrites the destination only after the kernel found a route for it.
  in_node "$name" ip route replace "$SERVICE_CIDR" via "$BRIDGE_IP" dev eth0
  in_node "$name" systemctl daemon-reload
  if [ $changed = yes ]; then in_node "$name" systemctl restart kubelet kube-proxy
  else in_node "$name" systemctl start kubelet kube-proxy; fi
}

up() {
  local pub=${1:-}; [ -f "$pub" ] || lab_die "up: give the SSH public key file the nodes' sshd accepts"
  local i
  for i in $(seq 1 "$NODES"); do node_up "$i" "$pub"; done
  for i in $(seq 1 "$NODES"); do
    # A kubelet registers when it starts: one that outlived its management cluster (whose etcd
    # starts empty) is restarted to register with the new one.
    if ! wait_for "node $(node_name "$i") registered" 15 $KUBECTL get node "$(node_name "$i")"; then
      in_node "$(node_name "$i")" systemctl restart kubelet
    fi
    wait_for "node $(node_name "$i") registered" 120 $KUBECTL get node "$(node_name "$i")" ||
      lab_die "management node $(node_name "$i") did not register; see its kubelet log: bash lab/worker-hosts.sh exec $(node_name "$i") -- cat /var/log/kubelet.log"
  done
}

down() {
  local i
  for i in $(seq 1 "$NODES"); do bash "$HERE/worker-hosts.sh" delete "$(node_name "$i")" >/dev/null 2>&1 || true; done
  rm -rf "$MGMT/nodes"
}

status() {
  $KUBECTL get nodes -o wide 2>/dev/null || { echo "management nodes: the management API does not answer"; return 1; }
}

case ${1:-} in
  up) shift; up "$@" ;; down) down ;; status) status ;;
  *) echo "usage: $0 up SSH_PUBKEY | down | status" >&2; exit 2 ;;
esac
