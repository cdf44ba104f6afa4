#!/usr/bin/env bash
# Starts the built server on a fresh embedded database and runs the README's quick start with curl.
set -euo pipefail
cd "$(dirname "$0")/.."

data_dir="$(mktemp -d)"
port=3917
log="$data_dir/server.log"
# As the image starts it: `npm run start:prod`'s command, its Node flags included, run here without npm's shell in
# between, so that $! is the server's pid and the trap's signal reaches it.
start_prod_command=$(node -p 'require("./package.json").scripts["start:prod"] || process.exit(1)')
read -ra start_prod <<<"$start_prod_command"
PORT=$port HOST=127.0.0.1 DATA_DIR="$data_dir" "${start_prod[@]}" >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$data_dir"' EXIT

for _ in $(seq 1 60); do
  curl -sf -o /dev/null "http://127.0.0.1:$port/api/docs-json" && break
  sleep 0.5
done

base="http://127.0.0.1:$port/api"
token=$(curl -sf -X POST "$base/auth/register" -H 'Content-Type: application/json' \
  -d '{"email":"smoke@example.com","password":"smoke-test-password"}' | node -pe 'JSON.parse(require("fs").readFileSync(0)).accessToken')

stream=$(curl -sN -X POST "$base/chat/stream" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"message":"hello from curl","provider":"echo"}')
echo "$stream"

grep -q '^event: session$' <<<"$stream"
grep -q '^event: message$' <<<"$stream"
grep -q '^event: done$' <<<"$stream"
grep -q 'curl' <<<"$stream"
curl -sf "$base/chat/sessions" -H "Authorization: Bearer $token" | grep -q 'hello from curl'
echo "smoke test passed"
