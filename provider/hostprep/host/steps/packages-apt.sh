# Kubernetes and containerd from apt repositories, pinned and held.
begin package-source
APT_UPDATED=0
apt_update() { if [ "$APT_UPDATED" = 0 ]; then apt-get update -q >/dev/null || die "apt-get update failed"; APT_UPDATED=1; fi; }
# keyring URL FILE
keyring() {
  [ -s "$2" ] && return 0
  command -v gpg >/dev/null 2>&1 || { apt_update; apt-get install -y -q gnupg >/dev/null; }
  mkdirs "$(dirname "$2")"; manage "$2"
  local tmp; tmp=$(mktemp "$2.hcp-XXXXXX")
  curl -fsSL --retry 3 --connect-timeout 10 "$1" | gpg --batch --yes --dearmor -o "$tmp" || { rm -f "$tmp"; die "cannot fetch the apt signing key $1"; }
  chmod 644 "$tmp"; mv -f "$tmp" "$2"; note "fetched $2"
}
for t in curl ca-certificates; do dpkg-query -W -f='${Status}' "$t" 2>/dev/null | grep -q 'ok installed' || { apt_update; apt-get install -y -q "$t" >/dev/null; note "installed $t"; }; done
keyring "$APT_SIGNING_KEY_URL" "$APT_KEYRING"
put "$APT_LIST" 644 "$APT_LIST_B64"
if [ -n "$APT_CONTAINERD_LIST_B64" ]; then
  keyring "$APT_CONTAINERD_SIGNING_KEY_URL" "$APT_CONTAINERD_KEYRING"
  put "$APT_CONTAINERD_LIST" 644 "$APT_CONTAINERD_LIST_B64"
fi
[ ${#CHANGES[@]} -eq 0 ] || APT_UPDATED=0
end

held() { apt-mark showhold 2>/dev/null | grep -qx "$1"; }
hold() { held "$1" || { apt-mark hold "$1" >/dev/null; note "held $1"; }; }
# apt_pin PACKAGE VERSION-PATTERN: install the pinned version unless installed
apt_pin() {
  local pkg=$1 pat=$2 cur
  cur=$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || true)
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" = "install ok installed" ] || cur=""
  # shellcheck disable=SC2254 # $pat is a glob on purpose ("1.34.4-*")
  case "$cur" in $pat) return 0 ;; esac
  apt_update
  # Only a package that was not installed is ours to purge on clean; one of another version stays.
  if [ -z "$cur" ]; then listed "$pkg" "$S/apt-installed" || echo "$pkg" >> "$S/apt-installed"
  elif ! listed "$pkg" "$S/apt-installed"; then grep -q "^$pkg " "$S/apt-upgraded" 2>/dev/null || echo "$pkg $cur" >> "$S/apt-upgraded"; fi
  apt-mark unhold "$pkg" >/dev/null 2>&1 || true
  apt-get install -y -q --allow-downgrades --allow-change-held-packages "$pkg=$pat" >/dev/null || die "apt-get install $pkg=$pat failed"
  note "installed $pkg=$pat"
  PINNED_CHANGED=1
}

begin containerd-install
PINNED_CHANGED=0
touch "$S/apt-installed"
apt_pin "$CONTAINERD_PACKAGE" "$CONTAINERD_VERSION*"
[ "$PINNED_CHANGED" = 0 ] || touch "$S/containerd-restart-pending"
hold "$CONTAINERD_PACKAGE"
HAVE_CONTAINERD=1
end

begin kubernetes-packages
PINNED_CHANGED=0
for pkg in kubelet kubeadm kubectl; do apt_pin "$pkg" "$K8S_VERSION-*"; done
[ "$PINNED_CHANGED" = 0 ] || touch "$S/kubelet-restart-pending"
for pkg in kubelet kubeadm kubectl; do hold "$pkg"; done
check_version kubeadm "$K8S_VERSION" kubeadm version -o short
fact preparedVersion "v$(version_of kubeadm version -o short)"
end
