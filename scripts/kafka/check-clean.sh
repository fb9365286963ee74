#!/usr/bin/env bash
# Fails when a test broker outlived its test run: a process whose command line names a broker temp dir
# ($TMPDIR/wmi-kafka-*), or such a dir. .ci/run calls it after the tests — also after failed tests — and it can be
# run by hand after an interrupted run (Ctrl-C, a killed vitest).
#
#   bash scripts/kafka/check-clean.sh          # exit 0: clean; exit 1: lists what is left
#
# On a machine where another test run is going on right now its broker is listed too: run it when yours is done.
set -euo pipefail

base="${TMPDIR:-/tmp}"
base="${base%/}"
prefix="$base/wmi-kafka-"
status=0

dirs=()
for d in "$prefix"*; do
  [[ -e "$d" ]] && dirs+=("$d")
done
if ((${#dirs[@]} > 0)); then
  echo "kafka: broker temp dirs left behind:" >&2
  printf '  %s\n' "${dirs[@]}" >&2
  status=1
fi

# /proc/*/cmdline rather than pgrep -f: no process of our own (this script's, grep's) matches by accident.
procs=""
for f in /proc/[0-9]*/cmdline; do
  pid="${f#/proc/}"
  pid="${pid%/cmdline}"
  [[ "$pid" == "$$" ]] && continue
  cmd="$(tr '\0' ' ' <"$f" 2>/dev/null || true)"
  if [[ "$cmd" == *"$prefix"* ]]; then
    procs+="  pid $pid: ${cmd:0:200}"$'\n'
  fi
done
if [[ -n "$procs" ]]; then
  echo "kafka: broker processes still running:" >&2
  printf '%s' "$procs" >&2
  status=1
fi

if ((status == 0)); then
  echo "kafka: clean — no broker process and no broker temp dir under $base"
fi
exit "$status"
