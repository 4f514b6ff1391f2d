# Helpers shared by the preparation and the clean-up script. The rendered header before this file
# sets S (the state directory) and every value the steps use, each one shell-quoted.
set -Eeuo pipefail
umask 022
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
STEP=init
CHANGES=()
TMPS=()
trap 'echo "HCP-ERROR $STEP: command failed with status $? (script line $LINENO)" >&2' ERR
trap 'rm -rf -- "${TMPS[@]}"' EXIT
mkdir -p "$S/backup"
chmod 0700 "$S"
touch "$S/managed" "$S/dirs"
exec 9>"$S/lock"
if ! flock -w 600 9; then echo "HCP-ERROR lock: another preparation of this host holds $S/lock"; exit 42; fi
begin() { STEP=$1; CHANGES=(); }
note() { CHANGES+=("$1"); }
end() {
  if [ ${#CHANGES[@]} -gt 0 ]; then local IFS=';'; echo "HCP-STEP $STEP changed ${CHANGES[*]}"
  else echo "HCP-STEP $STEP unchanged"; fi
}
skip() { echo "HCP-STEP $STEP skipped $1"; }
die() { echo "HCP-ERROR $STEP: $*"; exit 42; }
warn() { echo "HCP-WARN $STEP: $*"; }
fact() { echo "HCP-FACT $1=$2"; }
listed() { grep -qxF -- "$1" "$2" 2>/dev/null; }
unlist() { grep -vxF -- "$1" "$2" > "$2.tmp" || true; mv -f -- "$2.tmp" "$2"; }
# mkdirs DIR: create DIR and its missing parents, remembering which ones we created.
mkdirs() {
  local d=$1 missing=()
  while [ ! -d "$d" ]; do missing=("$d" "${missing[@]}"); d=$(dirname -- "$d"); done
  for d in "${missing[@]}"; do listed "$d" "$S/dirs" || echo "$d" >> "$S/dirs"; mkdir -p -- "$d"; done
}
# manage PATH: register PATH before we first write it, keeping a backup of what was there.
manage() {
  local p=$1
  listed "$p" "$S/managed" && return 0
  if [ -e "$p" ] && [ ! -e "$S/backup$p" ]; then mkdir -p -- "$(dirname -- "$S/backup$p")"; cp -a -- "$p" "$S/backup$p"; fi
  echo "$p" >> "$S/managed"
}
# put PATH MODE BASE64: PATH holds the content with MODE afterwards (atomic rename); notes a change.
put() {
  local p=$1 mode=$2 tmp
  mkdirs "$(dirname -- "$p")"
  rm -f -- "$p".hcp-*
  tmp=$(mktemp -- "$p.hcp-XXXXXX")
  printf '%s' "$3" | base64 -d > "$tmp"
  if [ -f "$p" ] && [ ! -L "$p" ] && cmp -s -- "$tmp" "$p" && [ "$(stat -c %a -- "$p")" = "$mode" ]; then rm -f -- "$tmp"; PUT=0; return 0; fi
  manage "$p"
  chmod "$mode" "$tmp"
  mv -f -- "$tmp" "$p"
  note "wrote $p"
  PUT=1
}
# put_file SRC PATH MODE: like put, from a file.
# shellcheck disable=SC2034 # PUT is the result callers read; the clean-up script has none
put_file() {
  local src=$1 p=$2 mode=$3 tmp
  if [ -f "$p" ] && [ ! -L "$p" ] && cmp -s -- "$src" "$p" && [ "$(stat -c %a -- "$p")" = "$mode" ]; then PUT=0; return 0; fi
  mkdirs "$(dirname -- "$p")"
  manage "$p"
  rm -f -- "$p".hcp-*
  tmp=$(mktemp -- "$p.hcp-XXXXXX")
  cp -- "$src" "$tmp"
  chmod "$mode" "$tmp"
  mv -f -- "$tmp" "$p"
  note "installed $p"
  PUT=1
}
# drop PATH: undo what we did to PATH (restore the backup or remove it) and forget it.
drop() {
  local p=$1
  if [ -e "$S/backup$p" ] || [ -L "$S/backup$p" ]; then
    rm -rf -- "$p"; cp -a -- "$S/backup$p" "$p"; rm -rf -- "$S/backup$p"; note "restored $p"
  elif [ -e "$p" ] || [ -L "$p" ]; then
    rm -f -- "$p"; note "removed $p"
  fi
  unlist "$p" "$S/managed"
}
version_of() { { "$@" 2>/dev/null || true; } | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true; }
# check_version WHAT WANT CMD...: the binary must report WANT (a warning if it reports nothing).
check_version() {
  local what=$1 want=$2 got; shift 2
  got=$(version_of "$@")
  if [ -z "$got" ]; then warn "$what does not report a version (wanted $want)"
  elif [ "$got" != "$want" ]; then die "$what reports version $got but $want is wanted; supply a package source with $what $want"; fi
}
