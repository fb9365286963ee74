#!/usr/bin/env bash
# Installs the two tools that validate the Helm chart offline: helm (lint/template) and kubeconform (schema
# validation of the rendered manifests against the JSON schemas committed under deploy/helm/schemas).
#
# Both are built from source through the Go module proxy (the only way to get them on machines that reach package
# registries but not download sites), into a cache directory so that reruns cost nothing:
#   WMI_TOOLS_BIN   where the binaries go            (default: ~/.cache/wmi-detect/bin)
#   HELM_VERSION    helm.sh/helm/v3 version           (default: v3.22.0)
#   KUBECONFORM_VERSION github.com/yannh/kubeconform (default: v0.8.0)
# GOMODCACHE/GOCACHE keep Go's defaults (~/go/pkg/mod, ~/.cache/go-build), which are also reused between runs.
#
# A stamp file next to each binary records the version it was built from: `helm version` of a `go install`ed helm
# does not report the module version reliably (it is normally injected with -ldflags by helm's Makefile).
#
# Usage: scripts/helm/install.sh            # install if missing, print the bin directory on stdout
#        PATH="$(scripts/helm/install.sh):$PATH"
set -euo pipefail

BIN_DIR="${WMI_TOOLS_BIN:-$HOME/.cache/wmi-detect/bin}"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.8.0}"

log() { echo "install.sh: $*" >&2; }

# The Go toolchain of this machine kind lives in /usr/local/go/bin, which a non-login shell may not have on PATH.
if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
  export PATH="$PATH:/usr/local/go/bin"
fi
if ! command -v go >/dev/null 2>&1; then
  log "the go toolchain is required to build helm and kubeconform (apt-get install golang-go, or /usr/local/go/bin)"
  exit 1
fi

mkdir -p "$BIN_DIR"

# install_tool NAME PACKAGE VERSION RECIPE [LDFLAGS...]
# RECIPE is written to the stamp with the version: changing how a tool is built (its -X flags) rebuilds it.
install_tool() {
  local name="$1" pkg="$2" version="$3" recipe="$4"
  shift 4
  local stamp="$BIN_DIR/.$name.version" want="$version $recipe"
  if [[ -x "$BIN_DIR/$name" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    log "$name $version already in $BIN_DIR"
    return 0
  fi
  log "building $name $version from $pkg (first run takes a few minutes; cached afterwards)"
  # -trimpath: no build-machine paths in the binary. CGO off: a static binary, no libc coupling.
  CGO_ENABLED=0 GOBIN="$BIN_DIR" GOFLAGS="${GOFLAGS:-} -buildvcs=false" \
    go install -trimpath -ldflags "-s -w $*" "$pkg@$version" >&2
  echo "$want" >"$stamp"
}

# helm's Makefile injects its version and the Kubernetes version it was built against (from its k8s.io/client-go
# requirement: client-go v0.N → Kubernetes 1.N). Without them `helm template` assumes Kubernetes 1.20 and rejects
# charts that declare a newer kubeVersion; reproduce the same flags here.
helm_gomod="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
client_go="$(awk '$1 == "k8s.io/client-go" { print $2 }' "$helm_gomod")"
k8s_minor="$(echo "$client_go" | cut -d. -f2)"
if [[ ! "$k8s_minor" =~ ^[0-9]+$ ]]; then
  log "cannot tell the Kubernetes version of helm $HELM_VERSION (k8s.io/client-go '$client_go' in $helm_gomod)"
  exit 1
fi
install_tool helm helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "k8s-1.$k8s_minor" \
  "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
  "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1" "-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor" \
  "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1" "-X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor"
install_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$KUBECONFORM_VERSION" "v1" \
  "-X main.version=$KUBECONFORM_VERSION"

echo "$BIN_DIR"
