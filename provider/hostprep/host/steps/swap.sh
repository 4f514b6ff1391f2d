begin swap
if [ -r /proc/swaps ] && [ "$(tail -n +2 /proc/swaps | wc -l)" -gt 0 ]; then swapoff -a; note "swapoff -a"; fi
SWAP_RE='^[[:space:]]*[^#[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+swap([[:space:]]|$)'
if [ -f /etc/fstab ] && grep -Eq "$SWAP_RE" /etc/fstab; then
  sed -i -E "s@($SWAP_RE.*)@# hcp-disabled: \1@" /etc/fstab
  note "commented swap out of /etc/fstab"
fi
end
