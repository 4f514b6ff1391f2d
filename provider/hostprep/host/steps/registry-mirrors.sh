# One hosts.toml per mirrored registry (MIRROR_FILES[i] holds MIRROR_CONTENTS_B64[i]); the ones
# written before for registries no longer configured are removed.
begin registry-mirrors
for i in "${!MIRROR_FILES[@]}"; do put "${MIRROR_FILES[$i]}" 644 "${MIRROR_CONTENTS_B64[$i]}"; done
while IFS= read -r f; do
  case "$f" in "$CERTS_D"/*/hosts.toml) ;; *) continue ;; esac
  keep=0; for w in "${MIRROR_FILES[@]}"; do [ "$w" = "$f" ] && keep=1; done
  if [ "$keep" = 0 ]; then drop "$f"; rmdir -- "$(dirname -- "$f")" 2>/dev/null || true; fi
done < <(cat "$S/managed")
end
