#!/usr/bin/env bash
# Prints the path of the CLI that `make demo`, `make bench` and `make chaos`
# drive, from the Makefile's TF variable:
#   terraform  terraform on PATH; where there is none, OpenTofu (as TF=tofu)
#   tofu       tofu on PATH, else the pinned OpenTofu (tools/tool.sh tofu builds it once)
#   PATH       that binary
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
case ${1:-terraform} in
  terraform)
    if command -v terraform; then exit 0; fi
    echo "cli: terraform is not on PATH; using OpenTofu instead (TF=tofu)" >&2
    exec "$0" tofu ;;
  tofu) command -v tofu || "$here/tool.sh" tofu ;;
  *) echo "$1" ;;
esac
