#!/usr/bin/env bash
# Refreshes the console screenshots in docs/screens/ (which README.md shows) on purpose: runs the browser tests, which
# write every main page light and dark to artifacts/screens/ on every run, then copies them over. CI never changes a
# tracked file; this script is the one way those images change.
# Usage: scripts/screens.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rm -rf "$root/artifacts/screens"
"$root/scripts/test.sh" --filter "FullyQualifiedName~Coditect.Console.Tests"
mkdir -p "$root/docs/screens"
cp "$root"/artifacts/screens/*.png "$root/docs/screens/"
ls -1 "$root/docs/screens"
