#!/usr/bin/env bash
# Brings up compose.yaml under Docker Compose (the plugin when present,
# else Debian's docker-compose, installed when missing), sends a
# conversion through one replica, checks that both replicas see it (and
# its duplicate), and tears everything down. Run by .ci/image-test.sh,
# whose Docker engine and image it uses.
#
# The file is compose.yaml as `compose config` renders it, with one change
# for the test: every service on the host's network (tests keep their
# traffic on loopback), on free loopback ports, instead of published
# ports. Docker Hub is not reachable here, so redis:7 is built from the
# host's own redis-server when the engine does not have it. The replicas
# run the image named by the first argument (default: postbacksim, which
# `make docker` builds).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'compose-test: %s\n' "$*"; }
die() { printf 'compose-test: FAIL: %s\n' "$*" >&2; exit 1; }

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  if ! command -v docker-compose >/dev/null 2>&1; then
    say "installing docker-compose"
    export DEBIAN_FRONTEND=noninteractive
    timeout 300 apt-get update -qq >/dev/null || die "apt-get update failed"
    timeout 600 apt-get install -y -qq docker-compose >/dev/null || die "apt-get install docker-compose failed"
  fi
  compose=(docker-compose)
fi
"${compose[@]}" version | head -1

work=$(mktemp -d)
project="pbsci$$"
cleanup() {
  status=$?
  if [ $status -ne 0 ]; then
    say "logs (last 30 lines):"; "${compose[@]}" -p "$project" -f "$work/compose.yaml" logs --tail 30 2>&1 | sed 's/^/  | /' || true
  fi
  "${compose[@]}" -p "$project" -f "$work/compose.yaml" down -v >/dev/null 2>&1 || true
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT

# redis:7, from the host's redis-server and its libraries, when missing.
if ! docker image inspect redis:7 >/dev/null 2>&1; then
  command -v redis-server >/dev/null || die "redis-server is missing: apt-get install redis-server"
  say "building redis:7 from $(redis-server --version | cut -d' ' -f1-3)"
  mkdir -p "$work/redis/rootfs"
  for bin in /usr/bin/redis-server /usr/bin/redis-cli; do
    for f in "$bin" $(ldd "$bin" | grep -o '/[^ ]*'); do
      mkdir -p "$work/redis/rootfs$(dirname "$f")"
      cp -L "$f" "$work/redis/rootfs$f"
    done
  done
  printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/usr/bin:/bin\nWORKDIR /data\nCMD ["redis-server"]\n' > "$work/redis/Dockerfile"
  docker build -q -t redis:7 "$work/redis" >/dev/null || die "building redis:7 failed"
fi
image=${1:-postbacksim}
docker image inspect "$image" >/dev/null 2>&1 || die "no $image image: make docker"

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_port=$(port); p1=$(port); p2=$(port)
export POSTBACKSIM_CALLBACK_KEY
POSTBACKSIM_CALLBACK_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

"${compose[@]}" -f compose.yaml config > "$work/rendered.yaml" || die "compose config refused compose.yaml"
python3 - "$work/rendered.yaml" "$work/compose.yaml" "$redis_port" "$p1" "$p2" "$image" <<'PY'
import sys, yaml
src, dst, rport, p1, p2, image = sys.argv[1:]
c = yaml.safe_load(open(src))
s = c["services"]
want = {"redis", "sandbox-1", "sandbox-2"}
if set(s) != want:
    sys.exit(f"compose.yaml's services are {sorted(s)}, want {sorted(want)}: update .ci/compose-test.sh")
for name, svc in s.items():
    svc.pop("ports", None)
    svc["network_mode"] = "host"
s["redis"]["command"] = list(s["redis"]["command"]) + ["--bind", "127.0.0.1", "--port", rport]
test = list(s["redis"]["healthcheck"]["test"])
cli = test.index("redis-cli") + 1
s["redis"]["healthcheck"]["test"] = test[:cli] + ["-p", rport] + test[cli:]
s["redis"]["healthcheck"]["interval"] = "1s"
for name, port in (("sandbox-1", p1), ("sandbox-2", p2)):
    env = s[name]["environment"]
    env["POSTBACKSIM_STORE"] = env["POSTBACKSIM_STORE"].replace("redis:6379", "127.0.0.1:" + rport)
    env["POSTBACKSIM_ADDR"] = "127.0.0.1:" + port
    if s[name]["image"] != "postbacksim":
        sys.exit(f"{name} runs image {s[name]['image']}, want postbacksim: update .ci/compose-test.sh")
    s[name]["image"] = image
yaml.safe_dump(c, open(dst, "w"))
PY

say "up: redis on $redis_port, replicas on $p1 and $p2"
timeout 180 "${compose[@]}" -p "$project" -f "$work/compose.yaml" up -d >"$work/up.log" 2>&1 || { tail -20 "$work/up.log" >&2; die "compose up failed (its output above)"; }
for p in "$p1" "$p2"; do
  for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$p/readyz" >/dev/null 2>&1 && break; sleep 0.5; done
  curl -fsS "http://127.0.0.1:$p/readyz" >/dev/null || die "replica on $p not ready in 30 s"
done

expect() { # expect DESCRIPTION ACTUAL SUBSTRING
  case "$2" in *"$3"*) say "ok: $1" ;; *) die "$1: got '$2', want it to contain '$3'" ;; esac
}
id="compose-$$"
expect "conversion through replica 1" "$(curl -sS "http://127.0.0.1:$p1/track/activate/?callback=ci&idfa=FCD369C3-F622-44B8-AFDE-12065659F34B&event_type=2&outer_event_id=$id")" '"code":0'
expect "its duplicate through replica 2" "$(curl -sS "http://127.0.0.1:$p2/track/activate/?callback=ci&idfa=FCD369C3-F622-44B8-AFDE-12065659F34B&event_type=2&outer_event_id=$id")" '"code":40004'
for p in "$p1" "$p2"; do
  expect "replica on $p journals both" "$(curl -sS "http://127.0.0.1:$p/_admin/ocean/requests?limit=10")" '"count": 2'
done
say "PASS"
