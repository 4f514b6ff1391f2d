begin kernel-modules
put "$MODULES_FILE" 644 "$MODULES_CONF_B64"
BRIDGE_OK=1
module_loaded() {
  case "$1" in
    br_netfilter) [ -d /sys/module/br_netfilter ] || [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] ;;
    *) [ -d "/sys/module/$1" ] ;;
  esac
}
for m in overlay br_netfilter; do
  module_loaded "$m" && continue
  if out=$(modprobe "$m" 2>&1); then
    if module_loaded "$m"; then note "modprobe $m"; continue; fi
    out="modprobe succeeded but the module is not visible"
  fi
  if [ "$m" = br_netfilter ]; then
    BRIDGE_OK=0
    warn "br_netfilter cannot be loaded ($out): the net.bridge.* sysctls are skipped; kubeadm preflight will complain unless the kernel has it"
  else
    die "kernel module $m cannot be loaded: $out"
  fi
done
end
