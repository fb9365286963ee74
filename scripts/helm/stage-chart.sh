#!/usr/bin/env bash
# Copies the chart to OUT_DIR and the repository's rule pack (rules/*.rules) into OUT_DIR/files/rules/, because helm
# reads only files inside the chart directory. Everything that renders or packages the chart goes through this, so
# the rules that ship are always the ones in the repository (no second committed copy to drift).
#
# Usage: scripts/helm/stage-chart.sh OUT_DIR        → prints OUT_DIR/wmi-detect (the staged chart) on stdout
#
# While the repository has no rules/*.rules yet, it stages without bundled rules and says so on stderr: the chart
# then renders only with rules.files or rules.existingConfigMap (it fails with a message otherwise).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${1:?usage: stage-chart.sh OUT_DIR}"
chart="$repo/deploy/helm/wmi-detect"

mkdir -p "$out"
rm -rf "$out/wmi-detect"
cp -R "$chart" "$out/wmi-detect"

shopt -s nullglob
rules=("$repo"/rules/*.rules)
if ((${#rules[@]} == 0)); then
  echo "stage-chart.sh: WARNING: no rules/*.rules in the repository; the staged chart bundles no rules" >&2
else
  cp "${rules[@]}" "$out/wmi-detect/files/rules/"
  echo "stage-chart.sh: bundled ${#rules[@]} rule file(s): ${rules[*]##*/}" >&2
fi
echo "$out/wmi-detect"
