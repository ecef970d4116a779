#!/usr/bin/env bash
# Build the documentation site into build/site with a strict build (every warning fails).
#   docs/build.sh          tutorials in their fast setting (as CI), executions cached in build/docs-cache
#   docs/build.sh --full   the tutorials' full runs (minutes more)
# Needs: pip install -e ".[docs]"  (mkdocs, material, mkdocs-jupyter, mkdocstrings, latex2mathml, ...)
set -euo pipefail
cd "$(dirname "$0")/.."
export TINYNN_FAST=1 NO_MKDOCS_2_WARNING=1
if [[ "${1:-}" == "--full" ]]; then export TINYNN_FAST=0; shift; fi
start=$(date +%s)
python -m mkdocs build --strict "$@"
echo "docs: built build/site in $(( $(date +%s) - start )) s (TINYNN_FAST=$TINYNN_FAST)"
