begin containerd-config
put "$CONTAINERD_CONFIG_FILE" 600 "$CONTAINERD_CONFIG_B64"
[ "$PUT" = 0 ] || touch "$S/containerd-restart-pending"
put "$CRICTL_FILE" 644 "$CRICTL_YAML_B64"
end
