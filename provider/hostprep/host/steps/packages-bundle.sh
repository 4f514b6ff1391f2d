# Kubernetes (and optionally containerd) from a bundle: a directory or tarball on the host, or a
# tarball downloaded from BUNDLE_URL_CONFIG, a curl config line read on stdin: the URL may carry
# credentials (user:password@, a presigned query), so it is never in argv and never shown.
begin package-source
if [ -n "$BUNDLE_URL_CONFIG" ]; then
  BUNDLE_TAR=$(mktemp "$S/bundle-download.XXXXXX"); TMPS+=("$BUNDLE_TAR")
  curl -fsSL --retry 3 --connect-timeout 10 -o "$BUNDLE_TAR" --config - <<< "$BUNDLE_URL_CONFIG" || die "cannot download the bundle from packageSource.url (curl failed; the URL is not shown, it may hold credentials)"
elif [ -d "$BUNDLE_SRC" ]; then BUNDLE_DIR=$BUNDLE_SRC; BUNDLE_TAR=
elif [ -f "$BUNDLE_SRC" ]; then BUNDLE_TAR=$BUNDLE_SRC
else die "packageSource.path $BUNDLE_SRC does not exist on the host (a directory or tarball with kubeadm, kubelet, kubectl)"; fi
if [ -n "$BUNDLE_SHA256" ]; then
  GOT_SHA=$(sha256sum "$BUNDLE_TAR" | cut -d' ' -f1)
  [ "$GOT_SHA" = "$BUNDLE_SHA256" ] || die "bundle $BUNDLE_SRC has sha256 $GOT_SHA, packageSource.sha256 says $BUNDLE_SHA256"
fi
if [ -n "${BUNDLE_TAR:-}" ]; then
  BUNDLE_X=$(mktemp -d "$S/bundle.XXXXXX"); TMPS+=("$BUNDLE_X")
  tar -xf "$BUNDLE_TAR" -C "$BUNDLE_X" || die "cannot unpack the bundle $BUNDLE_SRC (expected a tar archive)"
  k=$(find "$BUNDLE_X" -maxdepth 3 -type f -name kubeadm | head -n1)
  [ -n "$k" ] || die "the bundle $BUNDLE_SRC has no kubeadm"
  BUNDLE_DIR=$(dirname "$k")
fi
for b in kubeadm kubelet kubectl; do
  [ -f "$BUNDLE_DIR/$b" ] || die "the bundle $BUNDLE_SRC has no $b; a bundle holds kubeadm, kubelet, kubectl and optionally ${BUNDLE_CONTAINERD_FILES[*]}"
done
end

begin containerd-install
HAVE_CONTAINERD=0
if [ -f "$BUNDLE_DIR/containerd" ]; then
  chmod +x "$BUNDLE_DIR/containerd" 2>/dev/null || true
  check_version "the bundle's containerd" "$CONTAINERD_VERSION" "$BUNDLE_DIR/containerd" --version
  for b in "${BUNDLE_CONTAINERD_FILES[@]}"; do
    if [ -f "$BUNDLE_DIR/$b" ]; then put_file "$BUNDLE_DIR/$b" "/usr/local/bin/$b" 755; [ "$PUT" = 0 ] || touch "$S/containerd-restart-pending"; fi
  done
  put "$CONTAINERD_UNIT_FILE" 644 "$CONTAINERD_UNIT_B64"
  [ "$PUT" = 0 ] || touch "$S/daemon-reload-pending"
  HAVE_CONTAINERD=1
  # The bundle's CNI plugins (its cni/ folder), where containerd's CRI looks for them.
  if [ -d "$BUNDLE_DIR/cni" ]; then
    for f in "$BUNDLE_DIR"/cni/*; do if [ -f "$f" ]; then put_file "$f" "$CNI_BIN/$(basename -- "$f")" 755; fi; done
  fi
elif command -v containerd >/dev/null 2>&1; then
  check_version "the installed containerd" "$CONTAINERD_VERSION" containerd --version
  HAVE_CONTAINERD=1
else
  warn "the bundle has no containerd and none is installed: containerd is not set up"
fi
end

begin kubernetes-packages
for b in kubeadm kubelet kubectl; do chmod +x "$BUNDLE_DIR/$b" 2>/dev/null || true; done
check_version "the bundle's kubeadm" "$K8S_VERSION" "$BUNDLE_DIR/kubeadm" version -o short
check_version "the bundle's kubelet" "$K8S_VERSION" "$BUNDLE_DIR/kubelet" --version
check_version "the bundle's kubectl" "$K8S_VERSION" "$BUNDLE_DIR/kubectl" version --client
for b in kubeadm kubelet kubectl; do
  put_file "$BUNDLE_DIR/$b" "/usr/local/bin/$b" 755
  if [ "$PUT" = 1 ] && [ "$b" = kubelet ]; then touch "$S/kubelet-restart-pending"; fi
done
put "$KUBELET_UNIT_FILE" 644 "$KUBELET_UNIT_B64"
[ "$PUT" = 0 ] || touch "$S/daemon-reload-pending"
put "$KUBELET_DROPIN_FILE" 644 "$KUBELET_DROPIN_B64"
[ "$PUT" = 0 ] || touch "$S/daemon-reload-pending"
fact preparedVersion "v$(version_of /usr/local/bin/kubeadm version -o short)"
end
