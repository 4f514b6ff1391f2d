#!/usr/bin/env bash
# `pulumi up` of the repository's default stack (Pulumi.yaml, stack "lab") on the running lab, then
# the tenant's endpoint, its nodes and pods as the tenant API lists them, and its control plane's pods
# on the management cluster. A second run is a no-op update.
# Backend: $PULUMI_BACKEND_URL, else a local file backend in the lab directory. Secrets are
# encrypted with $PULUMI_CONFIG_PASSPHRASE (default "hcp-lab": the lab's state stays on this machine).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$REPO"
export PULUMI_HOME=${PULUMI_HOME:-$LAB_DIR/pulumi-home}
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$LAB_DIR/state}
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE:-hcp-lab}
export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
[[ $PULUMI_BACKEND_URL == file://* ]] && mkdir -p "${PULUMI_BACKEND_URL#file://}"
STACK=${HCP_STACK:-lab}
source "$REPO/scripts/versions.env"

# The providers go into the plugin cache under the versions the npm SDKs ask for, so the engine
# takes them from there instead of warning that it found them on PATH.
install_plugin() { # NAME VERSION
  if ! pulumi plugin ls 2>/dev/null | grep -qE "^$1 +resource +$2"; then
    pulumi plugin install resource "$1" "$2" --file "$BIN/pulumi-resource-$1" >/dev/null
  fi
}
install_plugin kubernetes "$K8S_PROVIDER_VERSION"
install_plugin tls "$TLS_VERSION"
export PULUMI_IGNORE_AMBIENT_PLUGINS=true

pulumi stack select --create "$STACK" --non-interactive >/dev/null
lab_log "pulumi up (stack $STACK)"
pulumi up --yes --stack "$STACK" --non-interactive --skip-preview=false

# What the update changed, from the engine's own record (CI checks that a second run changed nothing).
pulumi stack history --stack "$STACK" --json --page-size 1 --show-secrets=false | "$REPO/node_modules/.bin/node" -e '
  const c = JSON.parse(require("fs").readFileSync(0, "utf8"))[0].resourceChanges ?? {};
  const n = (k) => c[k] ?? 0;
  console.log(`[main] update: ${n("create")} to create, ${n("update")} to update, ${n("replace") + n("create-replacement") + n("delete-replaced")} to replace, ${n("delete")} to delete, ${n("same")} unchanged`);'

endpoint=$(pulumi stack output team-aEndpoint --stack "$STACK")
kc=$(mktemp); trap 'rm -f "$kc"' EXIT; chmod 600 "$kc"
pulumi stack output team-aKubeconfig --show-secrets --stack "$STACK" > "$kc"
echo
echo "tenant team-a: API endpoint https://$endpoint"
echo "nodes, as the tenant API lists them:"
kubectl --kubeconfig "$kc" get nodes -o wide
echo
echo "pods, and the node each runs on:"
kubectl --kubeconfig "$kc" get pods -A -o wide
echo
echo "the tenant's control plane, as Kamaji runs it on the management cluster:"
kubectl --kubeconfig "$LAB_DIR/management/admin.kubeconfig" get pods -n default -l kamaji.clastix.io/name=team-a -o wide
