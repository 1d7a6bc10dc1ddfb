#!/usr/bin/env bash
# Imports under abuse (BENCHMARKS.md, "Import limits"): the release server
# on a fresh database takes two concurrent dry-run imports of a body of
# empty rows (`name,kind` and N lines of `,`) while another client calls
# GET /auth/me every 50 ms; the server's RSS is sampled. Run for the
# 2,000,000-row body of issue 17 (refused: past the row limit), for a body
# at the limit (100,000 rows, each checked and failed) and for 100,000
# valid rows (each decoded, validated and checked for duplicates against
# the database, nothing written). Prints a table.
#
#   bench/import-limits.sh                    # SQLite
#   BACKEND=postgres bench/import-limits.sh   # a fresh PostgreSQL database
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
PORT=${PORT:-18183}
BACKEND=${BACKEND:-sqlite}
work=$(mktemp -d)
if [ "$BACKEND" = postgres ]; then
  name="crm_bench_limits_$$"
  psql "$PG_URL/postgres" -qc "CREATE DATABASE $name"
  url="$PG_URL/$name"
else
  url="sqlite://$work/limits.db?mode=rwc"
fi
export CRM_JWT_SECRET
CRM_JWT_SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
DATABASE_URL="$url" CRM_BIND="127.0.0.1:$PORT" CRM_DEMO_DATA=false CRM_RATE_LIMIT=0 RUST_LOG=warn \
  CRM_ADMIN_EMAIL=bench@example.com CRM_ADMIN_PASSWORD=bench-password-123 "$CRM" serve > "$work/server.log" 2>&1 &
server=$!
cleanup() {
  kill $server 2>/dev/null || true
  wait $server 2>/dev/null || true
  if [ "$BACKEND" = postgres ]; then psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS $name WITH (FORCE)"; fi
}
trap cleanup EXIT
for _ in $(seq 150); do curl -fs "http://127.0.0.1:$PORT/readyz" > /dev/null && break; sleep 0.2; done
token=$(curl -fs -H 'content-type: application/json' -d '{"email":"bench@example.com","password":"bench-password-123"}' \
  "http://127.0.0.1:$PORT/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

rss_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }

echo "| body | status | import time (s) | answer bytes | RSS before / peak / after (MiB) | /auth/me during: n, p50, p99, max (ms) |"
echo "|---|---|---|---|---|---|"
for case in empty:2000000 empty:100000 valid:100000; do
  kind=${case%%:*} rows=${case##*:}
  body="$work/body-$kind-$rows.csv"
  python3 - "$kind" "$rows" > "$body" <<'PY'
import sys
kind, rows = sys.argv[1], int(sys.argv[2])
if kind == "empty":
    sys.stdout.write("name,kind\n" + ",\n" * rows)
else:
    sys.stdout.write("name,email,city\n" + "".join(f"Customer {i},c{i}@example.com,Hangzhou\n" for i in range(rows)))
PY
  before=$(rss_kb $server VmRSS)
  : > "$work/me.txt"
  (
    while [ ! -f "$work/done" ]; do
      curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$PORT/api/v1/auth/me" >> "$work/me.txt"
      sleep 0.05
    done
  ) &
  poller=$!
  sleep 0.5
  begin=$(date +%s.%N)
  imports=()
  for i in 1 2; do
    curl -s -o "$work/answer-$i.json" -w '%{http_code}\n' -H "Authorization: Bearer $token" -H 'content-type: text/csv' \
      --data-binary "@$body" "http://127.0.0.1:$PORT/api/v1/imports/customers?dry_run=true" > "$work/status-$i.txt" &
    imports+=($!)
  done
  peak=$before
  while kill -0 "${imports[0]}" 2>/dev/null || kill -0 "${imports[1]}" 2>/dev/null; do
    rss=$(rss_kb $server VmRSS); [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 0.02
  done
  seconds=$(echo "$(date +%s.%N) - $begin" | bc)
  sleep 0.5
  touch "$work/done"; wait $poller 2>/dev/null || true; rm -f "$work/done"
  after=$(rss_kb $server VmRSS)
  status=$(sort -u "$work"/status-*.txt | tr '\n' ' ')
  bytes=$(stat -c %s "$work/answer-1.json")
  latency=$(sort -n "$work/me.txt" | python3 -c '
import sys
v = [float(x) * 1000 for x in sys.stdin if x.strip()]
q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
print(f"{len(v)}, {q(0.5):.1f}, {q(0.99):.1f}, {v[-1]:.1f}")')
  what=$([ "$kind" = empty ] && echo 'rows of `,`' || echo 'valid rows')
  printf '| %s %s (%s bytes), 2 at once | %s| %.2f | %s | %d / %d / %d | %s |\n' "$rows" "$what" "$(stat -c %s "$body")" \
    "$status" "$seconds" "$bytes" $((before / 1024)) $((peak / 1024)) $((after / 1024)) "$latency"
done
