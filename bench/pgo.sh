#!/usr/bin/env bash
# Writes cmd/postbacksim/default.pgo, the CPU profile `go build` uses for
# profile-guided optimization of the shipped binary (-pgo=auto, the
# default, picks it up; `-pgo=off` builds without it). The profile is
# taken from what users run: `postbacksim serve` with default flags (built
# without a profile) loaded over loopback, one phase after the other,
# each profiled for DURATION (default 8s):
#
#   - /track/activate/ with wrk -t2 -c50 and unique outer_event_ids: GET
#     (bench/unique.lua), form POST (bench/form.lua), JSON POST
#     (bench/json.lua), and /api/v2/conversion (bench/v2.lua);
#   - impact: 40,000 action_lifecycle events fired (8 batches of 5,000 at
#     once) and sent to a bare receiver (bench/bare), firing and sending
#     together.
#
# The phases' profiles are merged, so each weighs what it cost. Refresh it
# when the hot paths change much (a stale profile still builds: Go
# ignores what no longer matches), and check the gain with
# bench/wrk-compare.sh against a revision without it.
#
#   bench/pgo.sh            # DURATION=8s
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-8s}
[[ $duration =~ ^[1-9][0-9]*s$ ]] || { echo "DURATION: whole seconds, such as 8s (got $duration)" >&2; exit 2; }
secs=${duration%s}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
sim=http://127.0.0.1:18250
for port in 18250 18251; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then
    echo "port $port is in use: stop what listens there (ss -ltnp | grep $port)" >&2
    exit 1
  fi
done
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
go build -pgo=off -o "$tmp/postbacksim" ./cmd/postbacksim
go build -o "$tmp/bare" ./bench/bare
"$tmp/bare" --addr 127.0.0.1:18251 >/dev/null & pids+=($!)
"$tmp/postbacksim" serve --addr 127.0.0.1:18250 --pprof 2>"$tmp/serve.log" & pids+=($!)
server=$!
for _ in $(seq 50); do curl -sf -o /dev/null "$sim/readyz" && break; sleep 0.1; done
if ! kill -0 "$server" 2>/dev/null || ! curl -sf -o /dev/null "$sim/readyz"; then
  echo "postbacksim serve did not start:" >&2
  cat "$tmp/serve.log" >&2
  exit 1
fi

# profile NAME: a CPU profile of the server over the next DURATION.
profile() { curl -sf -o "$tmp/$1.pprof" "$sim/debug/pprof/profile?seconds=$secs"; }

for script in unique form json v2; do
  wrk -t2 -c50 -d"$((secs + 2))s" -s "bench/$script.lua" "$sim" -- "pgo-$script-$(date +%s%N)-" >/dev/null & pids+=($!)
  sleep 1
  profile "ocean-$script"
  wait $!
  echo "profiled $script conversions" >&2
done

curl -sf -o /dev/null -X PUT "$sim/_admin/impact/postbacks/action_lifecycle" \
  -d '{"url":"http://127.0.0.1:18251/track/activate/?aid={ActionId}","method":"GET","format":"none"}'
profile impact & pids+=($!)
prof=$!
firing=()
for _ in $(seq 8); do
  curl -sf -o /dev/null -X POST "$sim/_admin/impact/events/action_lifecycle?count=5000" & pids+=($!); firing+=($!)
done
for pid in "${firing[@]}"; do wait "$pid" || { echo "firing impact events failed" >&2; exit 1; }; done
wait $prof
echo "profiled impact firing and dispatch" >&2

# Merged beside the profile first: a failed merge leaves the committed one.
go tool pprof -proto "$tmp"/*.pprof >"$tmp/merged.pgo"
mv "$tmp/merged.pgo" cmd/postbacksim/default.pgo
echo "wrote cmd/postbacksim/default.pgo ($(wc -c <cmd/postbacksim/default.pgo) bytes)" >&2
