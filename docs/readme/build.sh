#!/usr/bin/env bash
# Assembles README.md from the sections in docs/readme/ (edit those, then run this).
set -euo pipefail
cd "$(dirname "$0")"
order=(00-intro 10-commands setup enckey backup audit challenge policy api admin 20-config 30-exit
       40-compat 60-plugins 80-security benchmarks testing 90-limitations)
{
  for s in "${order[@]}"; do
    [ -f "$s.md" ] || continue
    cat "$s.md"
    printf '\n'
  done
} > ../../README.md
