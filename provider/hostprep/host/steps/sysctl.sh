begin sysctl
put "$SYSCTL_FILE" 644 "$SYSCTL_CONF_B64"
APPLY=0
sysctl_wants() {
  local f=/proc/sys/${1//.//}
  if [ -e "$f" ]; then [ "$(cat "$f")" = "$2" ] || APPLY=1
  elif [ "$BRIDGE_OK" = 1 ] || [[ $1 != net.bridge.* ]]; then die "sysctl $1 does not exist on this host"
  fi
}
check_sysctls() { local i; for i in "${!SYSCTL_KEYS[@]}"; do sysctl_wants "${SYSCTL_KEYS[$i]}" "${SYSCTL_VALUES[$i]}"; done; }
check_sysctls
if [ "$APPLY" = 1 ]; then
  if [ "$BRIDGE_OK" = 1 ]; then sysctl -q -p "$SYSCTL_FILE" >/dev/null; else sysctl -q -e -p "$SYSCTL_FILE" >/dev/null || true; fi
  note "sysctl -p $SYSCTL_FILE"
  APPLY=0
  check_sysctls
  [ "$APPLY" = 0 ] || die "sysctl -p $SYSCTL_FILE did not take effect"
fi
end
