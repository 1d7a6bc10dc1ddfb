#!/usr/bin/env bash
# Contract fuzzing: starts the server on a fresh database, signs in as the
# administrator and runs schemathesis (every check, every phase) against the
# server's own /api-docs/openapi.json. Fails on any failure.
#
#   scripts/contract-fuzz.sh sqlite
#   scripts/contract-fuzz.sh postgres://postgres@127.0.0.1:5432   (a server; a fresh database is made and dropped)
#
# Environment: CRM_FUZZ_EXAMPLES (per operation, default 10), CRM_FUZZ_SEED
# (default 1, so that a failure reproduces), CARGO_TARGET_DIR (the built
# `crm` binary is taken from its debug directory, built if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

target="${1:?usage: scripts/contract-fuzz.sh sqlite | postgres://user@host:port}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/crm-target}"
tools="${CRM_TOOLS_DIR:-$HOME/.cache/crm-tools}"
version="4.32.5"
venv="$tools/schemathesis-$version"
if [ ! -x "$venv/bin/st" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==$version"
fi
cargo build --locked --quiet --bin crm
binary="$CARGO_TARGET_DIR/debug/crm"

work="$(mktemp -d)"
server_pid=""
database=""
cleanup() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    if [ -n "$database" ]; then
        psql "$target/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

if [ "$target" = sqlite ]; then
    url="sqlite://$work/crm.db?mode=rwc"
else
    database="crm_fuzz_$(date +%s)_$$"
    psql "$target/postgres" -v ON_ERROR_STOP=1 -qc "CREATE DATABASE $database"
    url="$target/$database"
fi
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
password="fuzz-$(python3 -c 'import secrets; print(secrets.token_hex(12))')"

DATABASE_URL="$url" CRM_BIND="127.0.0.1:$port" CRM_ENV=development CRM_DEMO_DATA=false \
    CRM_ADMIN_EMAIL=fuzz-admin@example.com CRM_ADMIN_PASSWORD="$password" \
    CRM_RATE_LIMIT=0 CRM_WEBHOOK_WORKER=false CRM_ACCESS_TOKEN_TTL_SECS=7200 \
    "$binary" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
    if curl -fsS "$base/readyz" >/dev/null 2>&1; then break; fi
    sleep 0.2
done
token="$(curl -fsS -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"fuzz-admin@example.com\",\"password\":\"$password\"}" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"

status=0
# One worker: with several, hypothesis parses sources with `ast` from
# several threads at once, which CPython before 3.11.8/3.12.2 cannot do
# (SystemError "AST constructor recursion depth mismatch", CPython
# gh-106905, seen in CI); one worker also makes a seed reproduce exactly.
(cd "$work" && "$venv/bin/st" --config-file "$OLDPWD/tests/contract/schemathesis.toml" run "$base/api-docs/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks all \
    --phases examples,coverage,fuzzing,stateful \
    --max-examples "${CRM_FUZZ_EXAMPLES:-10}" \
    --seed "${CRM_FUZZ_SEED:-1}" \
    --workers 1 \
    --no-color \
    --output-truncate false) || status=$?
if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "the server died during the run:" >&2
    tail -50 "$work/server.log" >&2
    status=1
fi
if grep -q '"level":"ERROR"\|ERROR' "$work/server.log"; then
    echo "server errors were logged:" >&2
    grep 'ERROR' "$work/server.log" | head -20 >&2
fi
exit "$status"
