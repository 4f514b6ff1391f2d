#!/usr/bin/env bash
# The lab's offline package source for worker hosts (PreparedHost packageSource kind "bundle"):
#   lab/bundle.sh VERSION            prints the bundle directory, building it if missing
# All real, from the toolchain: kubeadm, kubelet and kubectl of VERSION; containerd (+ its runc shim
# and ctr), runc and crictl; the CNI plugins in cni/ (installed to /opt/cni/bin).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
V=${1:?usage: lab/bundle.sh VERSION (e.g. 1.34.4)}
V=${V#v}
OUT=$LAB_DIR/packages/kubernetes-v$V
SRC=$BIN; [ -x "$BIN/kubernetes/v$V/kubeadm" ] && SRC=$BIN/kubernetes/v$V
for b in kubeadm kubelet kubectl; do [ -x "$SRC/$b" ] || lab_die "$SRC/$b is missing: run scripts/toolchain first"; done
for b in containerd containerd-shim-runc-v2 ctr runc crictl; do [ -x "$BIN/$b" ] || lab_die "$BIN/$b is missing: run scripts/toolchain first"; done
[ -d "$BIN/cni" ] || lab_die "$BIN/cni (the CNI plugins) is missing: run scripts/toolchain first"
got=$("$SRC/kubeadm" version -o short)
[ "$got" = "v$V" ] || lab_die "the toolchain has no kubeadm v$V (found $got): add $V to scripts/versions.env and run scripts/toolchain"

# Copies, not links: a host must not see a later toolchain rebuild change its installed packages.
copy() { cmp -s "$1" "$2" || { install -m 0755 "$1" "$2.tmp" && mv -f "$2.tmp" "$2"; }; }
mkdir -p "$OUT/cni"
for b in kubeadm kubelet kubectl; do copy "$SRC/$b" "$OUT/$b"; done
for b in containerd containerd-shim-runc-v2 ctr runc crictl; do copy "$BIN/$b" "$OUT/$b"; done
for p in "$BIN"/cni/*; do copy "$p" "$OUT/cni/$(basename "$p")"; done
echo "$OUT"
