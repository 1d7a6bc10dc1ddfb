#!/usr/bin/env bash
# The CRUD benchmark of BENCHMARKS.md: the real server (`crm serve`,
# release build) on the loaded databases, driven by wrk at 64 connections:
# get by id, list page 1, list page 1,000 (by cursor), create a customer,
# create an order with 3 items; throughput, p50 and p99 of each, server
# memory (RSS) at rest and its peak under the load; on PostgreSQL, in the
# same run, pgbench at the same concurrency reading the same rows by
# primary key — the database's own rate the API adds its cost to.
#
#   bench/crud.sh                                  # scales 10 and 100, both databases
#   SCALES=10 BACKENDS=postgres DURATION=10s bench/crud.sh
#
# KEEP=1 keeps each run's directory (server log, prepared ids and bodies).
# Needs wrk (Debian package `wrk`) and, for the floor, pgbench.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-18181}
# Page size: page 1,000 must exist at scale 10 (about 20,000 customers).
LIMIT=${LIMIT:-20}
export WRK_DIR="$PWD/bench/wrk"

rss_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }

# wrk_run NAME SCRIPT: one scenario; prints a table row.
wrk_run() {
  local line
  line=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -H "Authorization: Bearer $TOKEN" -s "$WRK_DIR/$2" \
    "http://127.0.0.1:$PORT" | grep '^RESULT')
  # shellcheck disable=SC2086
  local $(echo "${line#RESULT }")
  echo "| $1 | $rps | $p50_ms | $p99_ms | $errors |"
}

for scale in $SCALES; do
  for backend in $BACKENDS; do
    url=$(database_url "$backend" "$scale")
    work=$(mktemp -d)
    export CRM_JWT_SECRET
    CRM_JWT_SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    DATABASE_URL="$url" CRM_BIND="127.0.0.1:$PORT" CRM_DEMO_DATA=false CRM_RATE_LIMIT=0 RUST_LOG=warn \
      CRM_DB_MAX_CONNECTIONS=${DB_CONNECTIONS:-16} "$CRM" serve > "$work/server.log" 2>&1 &
    server=$!
    trap 'kill $server 2>/dev/null || true' EXIT
    for _ in $(seq 100); do
      curl -fs "http://127.0.0.1:$PORT/readyz" > /dev/null && break
      sleep 0.2
    done
    "$BENCH" prepare --database-url "$url" --server "http://127.0.0.1:$PORT" --out "$work" --limit "$LIMIT" > /dev/null
    TOKEN=$(cat "$work/token")
    export BENCH_DIR=$work
    rest=$(rss_kb $server VmRSS)
    echo
    echo "== $backend, --scale $scale ($(nproc) cores, $(date -u +%F)), wrk -t2 -c$CONNECTIONS -d$DURATION"
    echo
    echo "| request | requests/s | p50 ms | p99 ms | errors |"
    echo "|---|---:|---:|---:|---:|"
    BENCH_PATH=/healthz wrk_run "GET /healthz (no database: the HTTP stack alone)" get.lua
    BENCH_PATH=/readyz wrk_run "GET /readyz (\`SELECT 1\` through the pool, no token)" get.lua
    wrk_run "GET /customers/{id}" get_by_id.lua
    BENCH_PATH="/api/v1/customers?limit=$LIMIT" wrk_run "GET /customers page 1" get.lua
    BENCH_PATH=$(cat "$work/page1000") wrk_run "GET /customers page 1,000" get.lua
    BENCH_PATH=/api/v1/customers BENCH_BODY="$work/customer.json" wrk_run "POST /customers" post.lua
    BENCH_PATH=/api/v1/orders BENCH_BODY="$work/order.json" wrk_run "POST /orders (3 items)" post.lua
    if [ "$backend" = postgres ]; then
      # The same primary-key reads straight from the database.
      printf '\\set n random(1, %s)\nSELECT c.* FROM customers c JOIN bench_ids b ON b.id = c.id WHERE b.n = :n;\n' \
        "$(wc -l < "$work/customer_ids")" > "$work/floor.sql"
      (cd "$work" && pgbench -n -M prepared -c "$CONNECTIONS" -j 2 -T "${DURATION%s}" -f floor.sql -l \
        --log-prefix=txlog "$url" > floor.out 2>&1)
      tps=$(awk '/^tps/ { printf "%.0f", $3 }' "$work/floor.out")
      read -r p50 p99 < <(cat "$work"/txlog.* 2>/dev/null | awk 'NF >= 6 && $1 ~ /^[0-9]+$/ { print $3 / 1000 }' \
        | sort -n | awk '{ v[NR] = $1 } END { printf "%.2f %.2f\n", v[int(NR * 0.5)], v[int(NR * 0.99)] }')
      echo "| pgbench: the same reads by primary key (floor) | $tps | $p50 | $p99 | 0 |"
      # The database's own round trip with nothing to read, against /readyz.
      tps=$(pgbench -n -M simple -c "$CONNECTIONS" -j 2 -T "${DURATION%s}" -f <(echo 'SELECT 1;') "$url" 2>&1 \
        | awk '/^tps/ { printf "%.0f", $3 }')
      echo "| pgbench: \`SELECT 1\` (floor of /readyz) | $tps | | | 0 |"
    fi
    echo
    echo "Server RSS: $((rest / 1024)) MB at rest, $(( $(rss_kb $server VmHWM) / 1024 )) MB peak under the load."
    kill $server
    wait $server 2>/dev/null || true
    trap - EXIT
    if [ -n "${KEEP:-}" ]; then echo "(kept $work)"; else rm -rf "$work"; fi
  done
done
