#!/usr/bin/env bash
# The lab's offline package source for worker hosts (PreparedHost packageSource kind "bundle"):
#   lab/bundle.sh VERSION            prints the bundle directory, building it if missing
# Real: kubeadm and kubectl (the toolchain's Go builds). Stand-ins (this machine runs no kubelet
# or container runtime): kubelet (lab/standins/kubelet.ts), containerd and friends, which report
# the pinned versions the way the real binaries do.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
V=${1:?usage: lab/bundle.sh VERSION (e.g. 1.34.4)}
V=${V#v}
CONTAINERD_VERSION=${HCP_LAB_CONTAINERD_VERSION:-1.7.27}
OUT=$LAB_DIR/packages/kubernetes-v$V
SRC=$BIN; [ -x "$BIN/kubernetes/v$V/kubeadm" ] && SRC=$BIN/kubernetes/v$V
for b in kubeadm kubectl; do [ -x "$SRC/$b" ] || lab_die "$SRC/$b is missing: run scripts/toolchain first"; done
got=$("$SRC/kubeadm" version -o short)
[ "$got" = "v$V" ] || lab_die "the toolchain has no kubeadm v$V (found $got): add $V to scripts/versions.env and run scripts/toolchain"
[ -f "$REPO/dist/lab/standins/kubelet.js" ] || lab_die "dist/lab/standins/kubelet.js is missing: run 'npx tsc -p .'"

mkdir -p "$OUT"
# Copies, not links: a host must not see a later toolchain rebuild change its installed packages.
install -m 0755 "$SRC/kubeadm" "$OUT/kubeadm.tmp" && mv -f "$OUT/kubeadm.tmp" "$OUT/kubeadm"
install -m 0755 "$SRC/kubectl" "$OUT/kubectl.tmp" && mv -f "$OUT/kubectl.tmp" "$OUT/kubectl"
write() { local f=$OUT/$1; cat > "$f.tmp"; chmod 0755 "$f.tmp"; mv -f "$f.tmp" "$f"; }
write kubelet <<SH
#!/bin/sh
# Lab stand-in kubelet v$V: TLS bootstrap, Node registration, Ready status and leases, /healthz.
exec "$REPO/node_modules/.bin/node" "$REPO/dist/lab/standins/kubelet.js" --standin-version=v$V "\$@"
SH
write containerd <<SH
#!/bin/sh
# Lab stand-in containerd: reports its version; as a service it only idles (no runtime here).
if [ "\$1" = --version ] || [ "\$1" = -v ]; then echo "containerd github.com/containerd/containerd v$CONTAINERD_VERSION lab-standin"; exit 0; fi
exec sleep infinity
SH
write ctr <<SH
#!/bin/sh
echo "ctr github.com/containerd/containerd v$CONTAINERD_VERSION"
SH
write containerd-shim-runc-v2 <<'SH'
#!/bin/sh
exit 0
SH
write runc <<'SH'
#!/bin/sh
echo "runc version 1.2.6 (lab stand-in)"
SH
echo "$OUT"
