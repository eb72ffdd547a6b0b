#!/usr/bin/env bash
# Load script: /track/activate/ through the real `postbacksim serve` (JSON
# request log to /dev/null, metrics, journal, dedup) against a bare net/http
# server, with wrk (Debian's package) from 50 connections over loopback.
# Bounded: DURATION per server (default 10s). Usage: bench/wrk.sh [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-10s}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
bin=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$bin"' EXIT
go build -o "$bin/bare" ./bench/bare
go build -o "$bin/postbacksim" ./cmd/postbacksim
"$bin/bare" --addr 127.0.0.1:18111 &
"$bin/postbacksim" serve --addr 127.0.0.1:18112 --log-format json 2>/dev/null &
sleep 1
for target in "bare 18111" "postbacksim 18112"; do
  set -- $target
  echo "== $1"
  wrk -t2 -c50 -d"$duration" --latency -s bench/unique.lua "http://127.0.0.1:$2" | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"
done
