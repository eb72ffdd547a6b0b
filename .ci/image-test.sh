#!/usr/bin/env bash
# Builds the Docker image, runs it with --network host on a free loopback
# port, talks to both emulators, runs the compose test and the
# Testcontainers module's tests against it, and cleans up. Installs and starts a
# Docker engine (Debian's docker.io) when none is running. Bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'image-test: %s\n' "$*"; }
die() { printf 'image-test: FAIL: %s\n' "$*" >&2; exit 1; }

started_dockerd=""
image="postbacksim:ci-$$"
name="postbacksim-ci-$$"
cleanup() {
  status=$?
  if [ $status -ne 0 ] && docker inspect "$name" >/dev/null 2>&1; then
    say "container logs (last 40 lines):"; docker logs --tail 40 "$name" 2>&1 | sed 's/^/  | /' || true
  fi
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker rmi -f "$image" >/dev/null 2>&1 || true
  if [ -n "$started_dockerd" ]; then kill "$started_dockerd" 2>/dev/null || true; fi
  exit $status
}
trap cleanup EXIT

# 1. A Docker engine.
if ! docker info >/dev/null 2>&1; then
  if ! command -v dockerd >/dev/null 2>&1; then
    say "installing docker.io"
    export DEBIAN_FRONTEND=noninteractive
    timeout 300 apt-get update -qq >/dev/null || die "apt-get update failed"
    timeout 600 apt-get install -y -qq docker.io >/dev/null || die "apt-get install docker.io failed"
  fi
  say "starting dockerd"
  dockerd >/tmp/postbacksim-dockerd.log 2>&1 &
  started_dockerd=$!
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 /tmp/postbacksim-dockerd.log >&2; die "dockerd did not start in 60 s (log above)"; }
fi
command -v curl >/dev/null 2>&1 || { apt-get install -y -qq curl >/dev/null || die "curl is missing and could not be installed"; }

# 2. The image.
say "building $image"
timeout 300 make --no-print-directory docker IMAGE="$image" >/dev/null || die "make docker failed"

# The README states the image's size: it must stay true (within a quarter).
said=$(grep -o 'an image FROM scratch (about [0-9]* MB)' README.md | grep -o '[0-9][0-9]*' || true)
[ -n "$said" ] || die "README.md no longer says the image's size (about N MB)"
bytes=$(docker image inspect -f '{{.Size}}' "$image")
actual=$(( (bytes + 500000) / 1000000 ))
if [ $(( actual * 4 )) -lt $(( said * 3 )) ] || [ $(( actual * 4 )) -gt $(( said * 5 )) ]; then
  die "README.md says the image is about $said MB; it is $actual MB: update the README"
fi
say "ok: image size $actual MB, as the README says (about $said MB)"

# 3. A free loopback port, and the container on the host network.
# Ports are drawn below the kernel's ephemeral range: a port in that range
# can be held by an outgoing connection (dockerd's own, say), which refuses
# connections yet makes bind fail with "address already in use". A port
# is free when no socket in /proc/net/tcp{,6} holds it, in any state. If
# the container still loses the race for it, it is started again on
# another port.
ephemeral_low=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
[ "$ephemeral_low" -gt 11000 ] 2>/dev/null || ephemeral_low=32768
port_in_use() { # port_in_use PORT: any TCP socket bound to PORT?
  local hex; hex=$(printf ':%04X' "$1")
  awk -v h="$hex" 'NR > 1 && substr($2, length($2) - 4) == h { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$(( 10000 + RANDOM % (ephemeral_low - 10000) ))
    port_in_use "$p" && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && continue
    echo "$p"; return 0
  done
  return 1
}

started=""
for try in 1 2 3 4 5; do
  port=$(free_port) || die "no free loopback port found below $ephemeral_low"
  base="http://127.0.0.1:$port"
  say "running $image on $base (try $try)"
  docker rm -f "$name" >/dev/null 2>&1 || true
  docker run -d --name "$name" --network host -e POSTBACKSIM_ADDR="127.0.0.1:$port" "$image" >/dev/null \
    || die "docker run failed"
  for _ in $(seq 1 30); do
    curl -fsS "$base/healthz" >/dev/null 2>&1 && { started=1; break; }
    [ "$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" = true ] || break
    sleep 0.5
  done
  [ -n "$started" ] && break
  if docker logs "$name" 2>&1 | grep -q 'address already in use'; then
    say "port $port was taken after all; trying another"
    continue
  fi
  break
done
[ -n "$started" ] || die "$base/healthz did not answer within 15 s"

expect() { # expect DESCRIPTION ACTUAL SUBSTRING
  case "$2" in *"$3"*) say "ok: $1" ;; *) die "$1: got '$2', want it to contain '$3'" ;; esac
}

# 4. Ocean Engine.
expect "ocean conversion accepted" "$(curl -sS "$base/track/activate/?callback=ci&idfa=FCD369C3-F622-44B8-AFDE-12065659F34B&event_type=2")" '{"code":0,"ret":0,"msg":"success"}'
expect "ocean device-info rule" "$(curl -sS "$base/track/activate/?callback=ci&os=1")" '"code":40002'
expect "ocean JSON POST" "$(curl -sS -X POST -H 'Content-Type: application/json' -d '{"callback":"ci","imei":"0c2bd03c39f19845bf54ea0abafae70e","event_type":0}' "$base/track/activate/")" '"code":0'

# 5. impact.com: a postback to the sandbox's own Ocean endpoint, fired and delivered.
expect "impact postback stored" "$(curl -sS -X PUT -d "{\"url\":\"$base/track/activate/?callback=impact&idfa={ActionId}&event_type=2\",\"method\":\"GET\",\"format\":\"none\",\"success\":\"{\\\"code\\\":0,\\\"ret\\\":0,\\\"msg\\\":\\\"success\\\"}\"}" "$base/_admin/impact/postbacks/action_lifecycle")" '"event": "action_lifecycle"'
expect "impact event fired" "$(curl -sS -X POST "$base/_admin/impact/events/action_lifecycle?seed=7")" '"delivery_id": "d000001"'
delivered=""
for _ in $(seq 1 20); do
  delivered=$(curl -sS "$base/_admin/impact/deliveries?outcome=delivered")
  case "$delivered" in *'"count": 1'*) break ;; esac
  sleep 0.5
done
expect "impact delivery delivered" "$delivered" '"count": 1'
expect "the postback reached the Ocean endpoint" "$(curl -sS "$base/_admin/ocean/requests?code=0")" '"callback": "impact"'
expect "metrics" "$(curl -sS "$base/metrics")" 'postbacksim_impact_deliveries_total{event="action_lifecycle",namespace="default",outcome="delivered"} 1'

# 6. The image's own health check, and the non-root user.
expect "image user" "$(docker inspect -f '{{.Config.User}}' "$name")" "65532"
health_of() { # health_of CONTAINER: its HEALTHCHECK status once healthy, or after 15 s
  local h=""
  for _ in $(seq 1 30); do
    h=$(docker inspect -f '{{.State.Health.Status}}' "$1")
    [ "$h" = healthy ] && break
    sleep 0.5
  done
  echo "$h"
}
expect "docker HEALTHCHECK" "$(health_of "$name")" "healthy"

docker stop -t 10 "$name" >/dev/null
expect "graceful stop" "$(docker logs "$name" 2>&1 | tail -3)" 'msg=stopped'

# 7. The health check follows the address serve was given on its command
# line (the image's environment still says 0.0.0.0:8080).
port2=$(free_port) || die "no second free loopback port"
docker rm -f "$name" >/dev/null 2>&1 || true
docker run -d --name "$name" --network host "$image" serve --addr "127.0.0.1:$port2" >/dev/null || die "docker run (flags) failed"
expect "HEALTHCHECK follows serve --addr 127.0.0.1:$port2" "$(health_of "$name")" "healthy"
docker stop -t 10 "$name" >/dev/null

# 8. compose.yaml: Redis and two replicas sharing it.
bash .ci/compose-test.sh "$image" || die "the compose test failed (above)"

# 9. The Testcontainers for Go module (testcontainers/) against this image,
# before the cleanup removes it.
bash .ci/testcontainers-test.sh "$image" || die "the Testcontainers module's test failed (above)"
say "PASS"
