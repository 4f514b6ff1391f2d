#!/usr/bin/env bash
# Sourced by scripts/toolchain (family "tls"): build_tls CACHE_DIR builds CACHE_DIR/bin/pulumi-resource-tls
# (the Pulumi TLS provider, the version that @pulumi/tls TLS_VERSION on npm expects) from Go modules only:
#   - github.com/hashicorp/terraform-provider-tls at TLS_UPSTREAM_VERSION (the Terraform provider
#     that pulumi-tls 5.2.2 wraps; its code is in internal/, so a local module with the path
#     github.com/hashicorp/terraform-provider-tls/shim, `replace`d to ./shim, re-exports it),
#   - github.com/pulumi/pulumi-terraform-bridge/v3 at TLS_BRIDGE_VERSION (the bridge 5.2.2 used).
# The proxy serves no github.com/pulumi/pulumi-tls module, so the bridge program (token mapping,
# schema generation with the bridge's tfgen, embedded schema + bridge metadata) is written here.
# Idempotent: does nothing when the binary exists. Records cold build time and peak RSS in
# CACHE_DIR/build.txt. The versions come from scripts/versions.env (TLS_*). Env: TLS_GO (default
# "go"; e.g. "nice -n 19 go"), TLS_BUILD_FLAGS (e.g. "-p 1"). The recipe's story: docs/tls-plugin/.

build_tls() {
  local d=$1
  local bin=$d/bin/pulumi-resource-tls
  [ -x "$bin" ] && return 0
  local go=${TLS_GO:-go} bflags=${TLS_BUILD_FLAGS:-}
  local bridge=github.com/pulumi/pulumi-terraform-bridge/v3
  local upstream=github.com/hashicorp/terraform-provider-tls
  local self=local.build/pulumi-tls
  export CGO_ENABLED=0 GOFLAGS=-buildvcs=false GOTOOLCHAIN=local
  tlog() { printf '[toolchain tls] %s\n' "$*" >&2; }
  tdie() { printf '[toolchain tls] ERROR: %s\n' "$*" >&2; return 1; }
  # refused OUTPUT: the first line of a go command's output that names a refused module.
  refused() { { printf '%s\n' "$1" | grep -m1 -E '403|404|410|Forbidden|not found|unknown revision|invalid version|verifying' ||
    printf '%s\n' "$1" | tail -n 1; } | sed -e 's/^[[:space:]]*"Error": "//' -e 's/",\{0,1\}$//' -e 's/\\n.*//'; }
  local out m v
  for m in "$bridge@$TLS_BRIDGE_VERSION" "$upstream@$TLS_UPSTREAM_VERSION" "github.com/hashicorp/terraform-plugin-sdk/v2@$TLS_PLUGIN_SDK_VERSION"; do
    if ! out=$($go mod download -json "$m" 2>&1) || printf '%s' "$out" | grep -q '"Error"'; then
      tdie "the Go module proxy refused $m: $(refused "$out")"; return 1
    fi
  done

  tlog "building pulumi-resource-tls $TLS_VERSION (bridge $TLS_BRIDGE_VERSION, $upstream $TLS_UPSTREAM_VERSION)"
  local s=$d/src
  mkdir -p "$s/shim" "$s/version" "$s/provider" "$s/cmd/pulumi-resource-tls" "$s/cmd/pulumi-tfgen-tls" "$d/bin" "$d/tools"

  # The shim: its module path lies under the upstream's, so Go lets it import upstream's internal/.
  cat > "$s/shim/go.mod" <<GO
module $upstream/shim

go 1.24

require $upstream $TLS_UPSTREAM_VERSION
GO
  cat > "$s/shim/shim.go" <<'GO'
// Package shim re-exports the Terraform TLS provider, whose constructor is internal.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"

	tls "github.com/hashicorp/terraform-provider-tls/internal/provider"
)

// NewProvider returns a fresh plugin-framework TLS provider.
func NewProvider() provider.Provider { return tls.New() }
GO

  cat > "$s/go.mod" <<GO
module $self

go 1.24

require (
	$upstream/shim v0.0.0
	$bridge $TLS_BRIDGE_VERSION
	github.com/hashicorp/terraform-plugin-sdk/v2 $TLS_PLUGIN_SDK_VERSION
)

replace $upstream/shim => ./shim
GO

  cat > "$s/version/version.go" <<'GO'
// Package version holds the provider version, set with -ldflags -X .../version.Version=X.Y.Z.
package version

var Version string
GO

  cat > "$s/provider/provider.go" <<'GO'
// Package provider maps the Terraform TLS provider onto the Pulumi "tls" package, with the
// tokens of @pulumi/tls (tls:index/<camelName>:<Name>).
package provider

import (
	_ "embed"

	"github.com/hashicorp/terraform-provider-tls/shim"
	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"

	"local.build/pulumi-tls/version"
)

// Written by the tfgen step (`pulumi-tfgen-tls schema --out provider`); a placeholder before it.
//
//go:embed bridge-metadata.json
var BridgeMetadata []byte

// Schema is schema.json from the tfgen step with the version stamped in.
//
//go:embed schema-embed.json
var Schema []byte

func resource(tok string) *tfbridge.ResourceInfo     { return &tfbridge.ResourceInfo{Tok: tfbridge.MakeResource("tls", "index", tok)} }
func function(tok string) *tfbridge.DataSourceInfo { return &tfbridge.DataSourceInfo{Tok: tfbridge.MakeDataSource("tls", "index", tok)} }

// Info is the bridge's description of the provider.
func Info() tfbridge.ProviderInfo {
	return tfbridge.ProviderInfo{
		P:            pfbridge.ShimProvider(shim.NewProvider()),
		Name:         "tls",
		Version:      version.Version,
		Description:  "A Pulumi package to create TLS resources in Pulumi programs.",
		Keywords:     []string{"pulumi", "tls"},
		License:      "Apache-2.0",
		Homepage:     "https://pulumi.io",
		Repository:   "https://github.com/pulumi/pulumi-tls",
		GitHubOrg:    "hashicorp",
		MetadataInfo: tfbridge.NewProviderMetadata(BridgeMetadata),
		Resources: map[string]*tfbridge.ResourceInfo{
			"tls_private_key":         resource("PrivateKey"),
			"tls_self_signed_cert":    resource("SelfSignedCert"),
			"tls_cert_request":        resource("CertRequest"),
			"tls_locally_signed_cert": resource("LocallySignedCert"),
		},
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"tls_public_key":  function("getPublicKey"),
			"tls_certificate": function("getCertificate"),
		},
		EnableZeroDefaultSchemaVersion: true,
		EnableAccurateBridgePreview:    true,
	}
}
GO

  cat > "$s/cmd/pulumi-tfgen-tls/main.go" <<'GO'
// The bridge's schema generator for the provider: `pulumi-tfgen-tls schema --out DIR`.
package main

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"local.build/pulumi-tls/provider"
)

func main() { tfgen.Main("tls", provider.Info()) }
GO

  cat > "$s/cmd/pulumi-resource-tls/main.go" <<'GO'
// The provider plugin, serving the schema and bridge metadata embedded at build time.
package main

import (
	"context"

	pfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"local.build/pulumi-tls/provider"
)

func main() {
	meta := pfbridge.ProviderMetadata{PackageSchema: provider.Schema, BridgeMetadata: provider.BridgeMetadata}
	pfbridge.Main(context.Background(), "tls", provider.Info(), meta)
}
GO

  cd "$s" || return 1
  # Placeholders so the tfgen binary compiles; the tfgen step overwrites both.
  [ -s provider/bridge-metadata.json ] || echo '{}' > provider/bridge-metadata.json
  [ -s provider/schema-embed.json ] || echo '{}' > provider/schema-embed.json
  if ! out=$($go mod tidy 2>&1); then
    printf '%s\n' "$out" >&2
    tdie "go mod tidy failed; the Go module proxy refused: $(refused "$out")"; return 1
  fi
  for m in $bridge $upstream github.com/hashicorp/terraform-plugin-framework github.com/hashicorp/terraform-plugin-go \
    github.com/hashicorp/terraform-plugin-sdk/v2 github.com/pulumi/pulumi/sdk/v3 github.com/pulumi/pulumi/pkg/v3; do
    v=$($go list -m -f '{{.Version}}' "$m" 2>/dev/null || echo '?'); tlog "resolved $m $v"
  done

  local x="-X $self/version.Version=$TLS_VERSION" t0 t1 tf kb
  t0=$(date +%s); tf=$(mktemp)
  # shellcheck disable=SC2086 # bflags is a list of flags
  /usr/bin/time -f %M -o "$tf" $go build $bflags -trimpath -ldflags "-s -w $x" -o "$d/tools/pulumi-tfgen-tls" ./cmd/pulumi-tfgen-tls ||
    { rm -f "$tf"; tdie "go build of pulumi-tfgen-tls failed (see above)"; return 1; }
  kb=$(tail -n 1 "$tf")
  tlog "tfgen: generating schema.json and bridge-metadata.json"
  # No docs/examples conversion: both need a network or plugins, and the schema works without them.
  PULUMI_CONVERT=0 "$d/tools/pulumi-tfgen-tls" schema --skip-docs --skip-examples --out provider >&2 ||
    { rm -f "$tf"; tdie "pulumi-tfgen-tls schema failed"; return 1; }
  # tfgen omits the version; the engine wants the schema's version to be the plugin's.
  grep -q '^    "version":' provider/schema.json && { tdie "schema.json unexpectedly has a version"; return 1; }
  sed "1s/^{\$/{\n    \"version\": \"$TLS_VERSION\",/" provider/schema.json > provider/schema-embed.json
  grep -q "^    \"version\": \"$TLS_VERSION\"," provider/schema-embed.json || { tdie "could not stamp the schema version"; return 1; }
  # shellcheck disable=SC2086
  /usr/bin/time -f %M -o "$tf.2" $go build $bflags -trimpath -ldflags "-s -w $x" -o "$bin.tmp" ./cmd/pulumi-resource-tls ||
    { rm -f "$tf" "$tf.2"; tdie "go build of pulumi-resource-tls failed (see above)"; return 1; }
  t1=$(date +%s)
  kb=$(( kb > $(tail -n 1 "$tf.2") ? kb : $(tail -n 1 "$tf.2") )); rm -f "$tf" "$tf.2"
  # -X on a wrong symbol is silently ignored: check the version the plugin reports.
  v=$("$bin.tmp" -version 2>&1 | tail -n 1)
  [ "$v" = "$TLS_VERSION" ] || { tdie "pulumi-resource-tls -version prints '$v', not $TLS_VERSION"; return 1; }
  mv "$bin.tmp" "$bin"
  printf '%-34s cold build %4ds  peak RSS %5d MiB  (%s)\n' "pulumi-resource-tls $TLS_VERSION" $((t1 - t0)) $((kb / 1024)) "$(date -u +%FT%TZ)" >> "$d/build.txt"
  tlog "built pulumi-resource-tls $TLS_VERSION in $((t1 - t0))s (tfgen + provider), peak $((kb / 1024)) MiB"
}
