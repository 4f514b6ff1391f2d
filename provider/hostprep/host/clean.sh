# The clean-up (reusePolicy "clean"): undoes what the preparation recorded in $S, newest first.
begin kubelet-service
if systemctl is-enabled kubelet >/dev/null 2>&1 || systemctl is-active kubelet >/dev/null 2>&1; then systemctl disable --now kubelet >/dev/null 2>&1 || true; note "disabled kubelet"; fi
end

begin containerd-service
if listed /usr/local/bin/containerd "$S/managed" || listed "$CONTAINERD_PACKAGE" "$S/apt-installed"; then
  if systemctl is-enabled containerd >/dev/null 2>&1 || systemctl is-active containerd >/dev/null 2>&1; then systemctl disable --now containerd >/dev/null 2>&1 || true; note "disabled containerd"; fi
fi
end

begin packages
if [ -s "$S/apt-upgraded" ]; then
  while read -r pkg was; do warn "$pkg was installed (version $was) before the preparation changed its version: left installed"; done < "$S/apt-upgraded"
  : > "$S/apt-upgraded"
fi
if [ -s "$S/apt-installed" ]; then
  mapfile -t PKGS < "$S/apt-installed"
  apt-mark unhold "${PKGS[@]}" >/dev/null 2>&1 || true
  apt-get remove --purge -y -q "${PKGS[@]}" >/dev/null || die "apt-get remove ${PKGS[*]} failed"
  note "purged ${PKGS[*]}"
  : > "$S/apt-installed"
fi
end

begin files
RELOAD=0
mapfile -t FILES_ < <(tac "$S/managed")
for f in "${FILES_[@]}"; do
  [ -n "$f" ] || continue
  case "$f" in /etc/systemd/*) RELOAD=1 ;; esac
  drop "$f"
done
mapfile -t DIRS_ < <(tac "$S/dirs")
for d in "${DIRS_[@]}"; do [ -n "$d" ] && rmdir -- "$d" 2>/dev/null && note "removed $d/" || true; done
[ "$RELOAD" = 0 ] || systemctl daemon-reload || true
end

begin swap
if [ -f /etc/fstab ] && grep -q '^# hcp-disabled: ' /etc/fstab; then sed -i 's@^# hcp-disabled: @@' /etc/fstab; note "restored swap lines in /etc/fstab"; fi
end

exec 9>&-
rm -rf -- "$S"
echo "HCP-DONE clean"
