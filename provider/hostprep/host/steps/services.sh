begin containerd-service
if [ -e "$S/daemon-reload-pending" ]; then systemctl daemon-reload; rm -f "$S/daemon-reload-pending"; note "systemctl daemon-reload"; fi
if [ "$HAVE_CONTAINERD" = 1 ]; then
  if ! systemctl is-enabled containerd >/dev/null 2>&1; then systemctl enable containerd >/dev/null 2>&1 || die "systemctl enable containerd failed"; note "enabled containerd"; fi
  if [ -e "$S/containerd-restart-pending" ] || ! systemctl is-active containerd >/dev/null 2>&1; then
    systemctl restart containerd || die "systemctl restart containerd failed"
    rm -f "$S/containerd-restart-pending"
    note "restarted containerd"
  fi
  end
else
  skip "containerd is not installed"
fi

begin kubelet-service
if ! systemctl is-enabled kubelet >/dev/null 2>&1; then systemctl enable kubelet >/dev/null 2>&1 || die "systemctl enable kubelet failed"; note "enabled kubelet"; fi
if [ -e "$S/kubelet-restart-pending" ]; then
  if [ -f /etc/kubernetes/kubelet.conf ]; then
    # A joined node: the new kubelet starts only after NodeJoin drained it and ran kubeadm upgrade node.
    note "new kubelet installed; restart left to the node upgrade (after the drain)"
  else
    if systemctl is-active kubelet >/dev/null 2>&1; then systemctl restart kubelet; note "restarted kubelet (new binary)"; fi
    rm -f "$S/kubelet-restart-pending"
  fi
fi
end
