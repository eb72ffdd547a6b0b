#!/usr/bin/env bash
# Compares the shipped binary of a base revision with the working tree's,
# with wrk (Debian's package, installed when missing) from 50 connections
# over loopback: interleaved rounds of GET and JSON POST conversions with
# unique outer_event_ids, each binary with default flags, in memory and on
# a redis-server started here (--store, one prefix each), plus the bare
# net/http server as the physical limit. Per run: req/s, p99 and the
# server's CPU per request (utime+stime from /proc over the run, divided
# by the requests). KINDS picks the traffic, one wrk script each in
# bench/: GET, FORM and JSON go to /track/activate/, V2 posts the SDK's
# body to /api/v2/conversion (the new binary only when the base has no
# such endpoint). A refactor that should
# not change speed is checked with it, on a quiet machine:
#
#   bench/wrk-compare.sh 841d620          # ROUNDS=3 DURATION=8s KINDS="GET JSON V2" by default
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:?usage: bench/wrk-compare.sh BASE_REVISION}
rounds=${ROUNDS:-3}
duration=${DURATION:-8s}
kinds=${KINDS:-GET JSON V2}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
command -v redis-server >/dev/null || { apt-get install -y -qq redis-server >/dev/null; }
tmp=$(mktemp -d)
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  redis-cli -p 18379 shutdown nosave >/dev/null 2>&1 || true
  git worktree remove --force "$tmp/base-tree" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
git worktree add -q --detach "$tmp/base-tree" "$base"
(cd "$tmp/base-tree" && go build -o "$tmp/base" ./cmd/postbacksim)
go build -o "$tmp/new" ./cmd/postbacksim
go build -o "$tmp/bare" ./bench/bare
redis-server --port 18379 --save '' --appendonly no --daemonize yes >/dev/null
"$tmp/bare" --addr 127.0.0.1:18200 & pids+=($!); bare=$!
"$tmp/base" serve --addr 127.0.0.1:18201 2>/dev/null & pids+=($!); mem_base=$!
"$tmp/new" serve --addr 127.0.0.1:18202 2>/dev/null & pids+=($!); mem_new=$!
"$tmp/base" serve --addr 127.0.0.1:18203 --store redis://127.0.0.1:18379/0 --store-prefix base: 2>/dev/null & pids+=($!); redis_base=$!
"$tmp/new" serve --addr 127.0.0.1:18204 --store redis://127.0.0.1:18379/0 --store-prefix new: 2>/dev/null & pids+=($!); redis_new=$!
sleep 2
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run() { # label pid port script
  local c0 out c1
  c0=$(cpu "$2")
  # a prefix of the run's own: a server answers a repeated id as a duplicate
  out=$(wrk -t2 -c50 -d"$duration" --latency -s "$4" "http://127.0.0.1:$3" -- "$(date +%s%N)-")
  c1=$(cpu "$2")
  echo "$out" | awk -v label="$1" -v c=$((c1 - c0)) -v t="$tick" '
    /requests in/ {n = $1}
    /Requests\/sec/ {rps = $2}
    / 99%/ {p99 = $2}
    /Non-2xx/ {bad = $5}
    END {printf "%-22s %9.0f req/s  p99 %-8s  %5.1f µs CPU/request  non-2xx %d\n", label, rps, p99, c / t * 1e6 / n, bad}'
}
base_v2=yes
if [ "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' http://127.0.0.1:18201/api/v2/conversion)" = 404 ]; then
  base_v2=no; echo "(the base has no /api/v2/conversion: V2 runs the new binary only)"
fi
for round in $(seq "$rounds"); do
  for kind in $kinds; do
    case $kind in
      GET) script=bench/unique.lua ;;
      FORM) script=bench/form.lua ;;
      JSON) script=bench/json.lua ;;
      V2) script=bench/v2.lua ;;
      *) echo "KINDS: unknown kind $kind (GET, FORM, JSON, V2)" >&2; exit 2 ;;
    esac
    run "$round $kind bare" "$bare" 18200 "$script"
    # Alternate which binary goes first.
    if [ $((round % 2)) = 1 ]; then order="base new"; else order="new base"; fi
    if [ "$kind" = V2 ] && [ "$base_v2" = no ]; then order=new; fi
    for who in $order; do
      pid=mem_$who; run "$round $kind $who" "${!pid}" $([ "$who" = base ] && echo 18201 || echo 18202) "$script"
    done
    for who in $order; do
      pid=redis_$who; run "$round $kind $who+redis" "${!pid}" $([ "$who" = base ] && echo 18203 || echo 18204) "$script"
    done
  done
done
