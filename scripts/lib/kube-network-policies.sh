# shellcheck shell=bash
# Sourced by the scripts that set up the test cluster: builds kube-network-policies, the NetworkPolicy enforcer
# of the node, from its Go module with tools/kube/kube-network-policies-nfqueue-compat.patch applied (the
# patch's header says why: this kernel lacks CONFIG_NFT_QUEUE).

KUBE_NETWORK_POLICIES_VERSION=v0.8.0

# build_kube_network_policies OUT_DIR: puts a static kube-network-policies at OUT_DIR/kube-network-policies,
# built from sigs.k8s.io/kube-network-policies@$KUBE_NETWORK_POLICIES_VERSION (through the Go module proxy,
# copied to a temporary directory and patched there; the module cache is left as it was). Does nothing when
# OUT_DIR already holds the binary of this version, patch and recipe. Runs in a subshell: it changes nothing in
# the caller's shell.
build_kube_network_policies() (
  set -euo pipefail
  local out=${1:?usage: build_kube_network_policies OUT_DIR}
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
  local version=$KUBE_NETWORK_POLICIES_VERSION module=sigs.k8s.io/kube-network-policies
  local patch stamp dir
  patch=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tools/kube/kube-network-policies-nfqueue-compat.patch
  [[ -f $patch ]] || { echo "error: $patch is missing" >&2; return 1; }
  command -v go >/dev/null || { echo "error: Go is needed to build kube-network-policies $version" >&2; return 1; }
  command -v git >/dev/null || { echo "error: git is needed to patch kube-network-policies $version" >&2; return 1; }
  # The version, the patch and this recipe: a change to any of them builds again.
  stamp="$module@$version $(cat "$patch" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"
  if [[ -x $out/kube-network-policies && $(cat "$out/kube-network-policies.stamp" 2>/dev/null) == "$stamp" ]]; then
    return 0
  fi
  echo "== building kube-network-policies $version, patched (into $out)"
  # Not local: the EXIT trap runs after the function has returned.
  work=$(mktemp -d "${TMPDIR:-/tmp}/kube-network-policies.XXXXXX")
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
  cd "$work"
  # Outside any module, so that no go.mod of the caller's tree is read or changed.
  dir=$(GOFLAGS='' go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
  if [[ -z $dir || ! -f $dir/go.mod ]]; then
    echo "error: go mod download gave no directory for $module@$version" >&2
    return 1
  fi
  cp -R "$dir" src
  chmod -R u+w src
  cd src
  # A repository of its own, so that `git apply` patches this copy even when TMPDIR is inside another one.
  git init -q .
  git apply --whitespace=nowarn "$patch"
  rm -rf .git
  CGO_ENABLED=0 GOFLAGS='-mod=readonly -buildvcs=false' \
    go build -trimpath -ldflags='-s -w' -o "$out/.kube-network-policies.new" ./cmd
  mv -f "$out/.kube-network-policies.new" "$out/kube-network-policies"
  printf '%s\n' "$stamp" >"$out/kube-network-policies.stamp"
)
