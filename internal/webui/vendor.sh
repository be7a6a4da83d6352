#!/usr/bin/env bash
# Refreshes the console's vendored browser libraries (assets/vendor/) from
# npm, at the exact versions of package-lock.json. To move to newer
# versions: edit package.json, run `npm install --package-lock-only
# --ignore-scripts` here, then this script, and commit all three.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$here/package.json" "$here/package-lock.json" "$tmp/"
(cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund >/dev/null)
m=$tmp/node_modules
out=$here/assets/vendor
rm -rf "$out"
mkdir -p "$out"
cp "$m/uplot/dist/uPlot.esm.js" "$out/uplot.js"
cp "$m/uplot/dist/uPlot.min.css" "$out/uplot.css"
cp "$m/uplot/LICENSE" "$out/uplot.LICENSE.txt"
cp "$m/cytoscape/dist/cytoscape.esm.min.mjs" "$out/cytoscape.js"
cp "$m/cytoscape/LICENSE" "$out/cytoscape.LICENSE.txt"
cp "$m/aws4fetch/dist/aws4fetch.esm.js" "$out/aws4fetch.js"
cp "$m/aws4fetch/LICENSE" "$out/aws4fetch.LICENSE.txt"
# What was vendored, for the record (and the console's About line).
node -e '
const lock = require(process.argv[1]);
const v = n => lock.packages["node_modules/" + n].version;
process.stdout.write(JSON.stringify({uplot: v("uplot"), cytoscape: v("cytoscape"), aws4fetch: v("aws4fetch")}, null, 1) + "\n");
' "$here/package-lock.json" > "$out/versions.json"
echo "vendored into $out:"
ls -l "$out"
