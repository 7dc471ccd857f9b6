#!/usr/bin/env bash
# Makes this machine ready for the lab (real strongSwan in network
# namespaces), or says in one line why it is not and what enables it.
# `make demo`, `make test` and .ci/run call it; so can a person.
#
#   tools/lab-setup.sh demo|test|ci
#
# As root on Debian/Ubuntu it installs what tools/lab-packages.txt lists and
# is missing, saying so first. Without root it installs nothing: the lab
# needs root anyway, so it prints the one command that runs WHAT with the
# lab, and the demo then runs API-only and the lab tests skip.
# CROSSCLOUD_NO_SETUP=1 turns the installing off. Under CI (CI=true) a lab
# that cannot be set up is an error rather than a skip.
set -euo pipefail
what=${1:-test}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
say() { echo "lab-setup: $*" >&2; }
fail_or_skip() {
  if [ -n "${CI:-}" ]; then say "$* (CI is set, so this is an error)"; exit 1; fi
  say "$*"; exit 0
}
enable="sudo env \"PATH=\$PATH\" make $what"
case $what in
  demo) off="the demo runs API-only (both APIs emulated, no tunnel)" ;;
  *) off="the lab tests skip" ;;
esac

mapfile -t pkgs < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$here/lab-packages.txt")

if [ "$(id -u)" != 0 ]; then
  fail_or_skip "not root, so $off. To run with the lab: $enable"
fi
if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
  fail_or_skip "not a Debian/Ubuntu machine (no dpkg/apt-get); the lab needs these packages or their equivalents: ${pkgs[*]}; until then $off"
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})) && [ -n "${CROSSCLOUD_NO_SETUP:-}" ]; then
  fail_or_skip "CROSSCLOUD_NO_SETUP is set, so not installing ${missing[*]}; without them $off"
fi
if ((${#missing[@]})); then
  say "installing ${#missing[@]} Debian packages the lab needs (from tools/lab-packages.txt): ${missing[*]}"
  start=$SECONDS
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null; }; then
    fail_or_skip "apt-get could not install ${missing[*]}; without them $off"
  fi
  say "installed in $((SECONDS - start)) s"
fi

# Steps that need the packages above go here, one line each, idempotent and
# quick when already done (e.g. building a gateway root filesystem image).
