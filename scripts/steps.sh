# shellcheck shell=bash
# Steps a person can follow (sourced by scripts/main and scripts/test): each step says when it
# starts and how long it took; a failing step names itself and its log file, shows the log's last
# lines and ends the run with the step's exit code.
#
#   step NAME LOG CMD...         CMD's output goes to LOG; its progress lines ([setup], [toolchain],
#                                [lab]: each toolchain binary and lab part) also reach the terminal
#   step_shown NAME LOG CMD...   the same, with all of CMD's output on the terminal too
STEP_TAG=${STEP_TAG:-main}

_step() {
  local filter=$1 name=$2 log=$3 t0 rc; shift 3
  mkdir -p "$(dirname "$log")"
  t0=$(date +%s)
  printf '[%s] ▶ %s (log: %s)\n' "$STEP_TAG" "$name" "$log"
  set +e
  "$@" 2>&1 | tee "$log" | if [ "$filter" = progress ]; then grep --line-buffered -E '^\[(setup|toolchain|lab)\]'; else cat; fi
  rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" != 0 ]; then
    printf '[%s] ✗ %s failed after %ds (exit %d); read %s. Its last lines:\n' "$STEP_TAG" "$name" $(($(date +%s) - t0)) "$rc" "$log"
    tail -n 15 "$log" | sed 's/^/    /'
    exit "$rc"
  fi
  printf '[%s] ✓ %s in %ds\n' "$STEP_TAG" "$name" $(($(date +%s) - t0))
}
step() { _step progress "$@"; }
step_shown() { _step all "$@"; }
