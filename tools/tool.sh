#!/usr/bin/env bash
# Prints the path of a tool pinned by a module under tools/ (tools/NAME/go.mod
# names it with a `tool` directive), building it first if this machine has
# no build of exactly that module yet:
#
#   tools/tool.sh tofu         OpenTofu, for the OpenTofu pass of make test
#   tools/tool.sh goreleaser   goreleaser, for `goreleaser check` and a snapshot in CI
#
# Why a module and not `go install tool@version`: OpenTofu's go.mod replaces
# github.com/hashicorp/hcl/v2 with OpenTofu's fork, and `go install` refuses
# modules with replace directives; tools/tofu requires it and carries the same
# replace. A module with a go.sum also pins every dependency.
#
# The binary is cached outside the repository, keyed by the module's go.mod,
# go.sum and the Go version, so warm runs (and fresh clones on the same
# machine) reuse it; a changed pin builds a new one beside it.
# CROSSCLOUD_TOOLS_CACHE moves the cache.
set -euo pipefail
name=${1:?usage: tools/tool.sh NAME (a directory under tools/)}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mod=$here/$name
[ -f "$mod/go.mod" ] || { echo "tools/tool.sh: no $mod/go.mod" >&2; exit 1; }
pkg=$(awk '$1 == "tool" { print $2 }' "$mod/go.mod")
key=$(cat "$mod/go.mod" "$mod/go.sum" <(go env GOVERSION GOOS GOARCH) | sha256sum | cut -c1-16)
cache=${CROSSCLOUD_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/crosscloud-tools}
out=$cache/$name-$key/$name
if [ -x "$out" ]; then echo "$out"; exit 0; fi

# The version of the module that provides pkg, from go.mod's requirements.
version=$(awk -v pkg="$pkg" '{ for (i = 1; i < NF; i++) if ($i ~ /^[a-z]/ && index(pkg "/", $i "/") == 1 && $(i+1) ~ /^v[0-9]/) { print length($i), $(i+1) } }' "$mod/go.mod" | sort -n | tail -1 | cut -d' ' -f2)
# Release flags, as each project's own release build sets them; check is
# what the binary must print for `$name version` (first line).
case $name in
  tofu) ldflags="-s -w -X github.com/opentofu/opentofu/version.dev=no"; check="OpenTofu $version" ;;
  goreleaser) ldflags="-s -w -X main.version=$version -X main.builtBy=crosscloud-tools"; check="" ;;
  *) ldflags="-s -w"; check="" ;;
esac
echo "tools: building $name $version ($pkg) from the Go module proxy into $out (once per machine; minutes on 2 cores)" >&2
mkdir -p "$(dirname "$out")"
tmp=$(mktemp "$out.XXXXXX")
trap 'rm -f "$tmp"' EXIT
start=$SECONDS
(cd "$mod" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg")
if [ -n "$check" ]; then
  # No CLI config: a TF_CLI_CONFIG_FILE naming a missing file makes tofu
  # print a warning before its version line.
  got=$(env -u TF_CLI_CONFIG_FILE "$tmp" version | sed -n 1p)
  [ "$got" = "$check" ] || { echo "tools/tool.sh: the $name build says '$got', expected '$check'" >&2; exit 1; }
fi
chmod 0755 "$tmp"
mv -f "$tmp" "$out" # atomic: a parallel run sees no binary or a whole one
trap - EXIT
echo "tools: built $name in $((SECONDS - start)) s" >&2
echo "$out"
