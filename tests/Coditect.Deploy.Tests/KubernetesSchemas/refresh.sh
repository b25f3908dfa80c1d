#!/usr/bin/env bash
# Re-vendors the Kubernetes schema validators the deploy tests use, from the npm packages pinned in
# package-lock.json (integrity-checked by npm ci): only the compiled validators the rendered manifests need, and the
# files they import, byte for byte, with each package's package.json and LICENSE. Run it after changing a pin or
# after adding a kind to KINDS in validate.mjs; commit what it changes. Tests never download anything.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$work/"
(cd "$work" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

for package in kubernetes-models @kubernetes-models/apimachinery @kubernetes-models/gke; do
  rm -rf "$here/node_modules/$package"
done
node "$here/validate.mjs" --entries | while read -r entry; do
  node --input-type=module - "$work/node_modules" "$here/node_modules" "$entry" <<'JS'
import { readFileSync, mkdirSync, copyFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
const [from, to, entry] = process.argv.slice(2);
// Follows the imports of one validator: relative ones ("./X.js") and those into other @kubernetes-models packages'
// _schemas; @kubernetes-models/validate is ours (a small stand-in, see README.md), never copied.
const seen = new Set();
const queue = [entry];
while (queue.length > 0) {
  const file = queue.pop();
  if (seen.has(file)) continue;
  seen.add(file);
  const source = join(from, file);
  mkdirSync(dirname(join(to, file)), { recursive: true });
  copyFileSync(source, join(to, file));
  for (const [, spec] of readFileSync(source, "utf8").matchAll(/import\s*(?:\{[^}]*\}|[\w$]+)\s*from"([^"]+)"/g)) {
    if (spec.startsWith(".")) {
      queue.push(resolve("/" + dirname(file), spec).slice(1));
    } else if (spec.includes("/_schemas/")) {
      queue.push(spec + (spec.endsWith(".js") ? "" : ".js"));
    } else if (!spec.startsWith("@kubernetes-models/validate")) {
      throw new Error(`${file} imports ${spec}, which is not vendored`);
    }
  }
}
JS
done
for package in kubernetes-models @kubernetes-models/apimachinery @kubernetes-models/gke; do
  cp "$work/node_modules/$package/package.json" "$work/node_modules/$package/LICENSE" "$here/node_modules/$package/"
done
echo "vendored $(find "$here/node_modules" -name '*.js' -o -name '*.mjs' | grep -vc validate/) validator files"
