#!/usr/bin/env bash
# Export and re-import at volume (BENCHMARKS.md, "Export and import"):
# the release server on the loaded scale-100 SQLite database exports every
# customer as CSV while its memory is sampled; then a second server on an
# empty database imports the first ROWS of that file, and the report must
# count zero failed rows. Prints the figures as a table.
#
#   ROWS=100000 bench/export.sh
#   BACKEND=postgres ROWS=100000 bench/export.sh   # scale-100 PostgreSQL, import into a fresh database
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
ROWS=${ROWS:-100000}
PORT=${PORT:-18182}
work=$(mktemp -d)
BACKEND=${BACKEND:-sqlite}
url=$(database_url "$BACKEND" 100)

rss_kb() { awk -v key="$2:" '$1 == key { print $2 }' "/proc/$1/status"; }
# peak_while PID CMD...: runs CMD, sampling PID's RSS; prints the peak (kB).
peak_while() {
  local pid=$1 peak=0 rss
  shift
  "$@" &
  local job=$!
  while kill -0 $job 2>/dev/null; do
    rss=$(rss_kb "$pid" VmRSS)
    [ "$rss" -gt "$peak" ] && peak=$rss
    sleep 0.05
  done
  wait $job
  echo "$peak"
}
start() { # start URL PORT LOG
  DATABASE_URL="$1" CRM_BIND="127.0.0.1:$2" CRM_DEMO_DATA=false RUST_LOG=warn "$CRM" serve > "$3" 2>&1 &
  server=$!
  for _ in $(seq 150); do curl -fs "http://127.0.0.1:$2/readyz" > /dev/null && break; sleep 0.2; done
}

export CRM_JWT_SECRET
CRM_JWT_SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
start "$url" "$PORT" "$work/export-server.log"
trap 'kill $server 2>/dev/null || true' EXIT
"$BENCH" prepare --database-url "$url" --server "http://127.0.0.1:$PORT" --out "$work" --limit 20 > /dev/null
TOKEN=$(cat "$work/token")
rest=$(rss_kb $server VmRSS)
begin=$(date +%s.%N)
peak=$(peak_while $server curl -fs -H "Authorization: Bearer $TOKEN" -o "$work/customers.csv" \
  "http://127.0.0.1:$PORT/api/v1/customers/export")
seconds=$(echo "$(date +%s.%N) - $begin" | bc)
rows=$(($(python3 -c "import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=''))))" "$work/customers.csv") - 1))
bytes=$(stat -c %s "$work/customers.csv")
kill $server; wait $server 2>/dev/null || true

# Import the first ROWS into an empty database (owners are other users
# there: the owner column is mapped away).
python3 - "$work/customers.csv" "$work/part.csv" "$ROWS" <<'PY'
import csv, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(src, newline='') as f, open(dst, 'w', newline='') as g:
    r, w = csv.reader(f), csv.writer(g, lineterminator='\r\n')
    for i, row in enumerate(r):
        if i > n: break
        w.writerow(row)
PY
if [ "$BACKEND" = postgres ]; then
  fresh_name="crm_bench_import_$$"
  psql "$PG_URL/postgres" -qc "CREATE DATABASE $fresh_name"
  fresh="$PG_URL/$fresh_name"
else
  fresh="sqlite://$work/fresh.db?mode=rwc"
fi
CRM_ADMIN_EMAIL=bench@example.com CRM_ADMIN_PASSWORD=bench-password-123 start "$fresh" "$PORT" "$work/import-server.log"
token=$(curl -fs -H 'content-type: application/json' -d '{"email":"bench@example.com","password":"bench-password-123"}' \
  "http://127.0.0.1:$PORT/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
irest=$(rss_kb $server VmRSS)
begin=$(date +%s.%N)
ipeak=$(peak_while $server curl -fs -H "Authorization: Bearer $token" -H 'content-type: text/csv' \
  --data-binary "@$work/part.csv" -o "$work/report.json" \
  "http://127.0.0.1:$PORT/api/v1/imports/customers?mapping=owner_id:owner_id_of_the_source")
iseconds=$(echo "$(date +%s.%N) - $begin" | bc)
report=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["rows"], r["created"], r["failed"], r["skipped"])' "$work/report.json")
read -r irows created failed skipped <<< "$report"

echo "| step | rows | seconds | rows/s | server RSS at rest MB | peak MB | result |"
echo "|---|---:|---:|---:|---:|---:|---|"
printf "| export CSV (scale 100, $BACKEND) | %d | %.1f | %.0f | %.1f | %.1f | %.1f MB file |\n" \
  "$rows" "$seconds" "$(echo "$rows / $seconds" | bc -l)" "$(echo "$rest / 1024" | bc -l)" "$(echo "$peak / 1024" | bc -l)" \
  "$(echo "$bytes / 1048576" | bc -l)"
printf "| import CSV (empty $BACKEND database) | %d | %.1f | %.0f | %.1f | %.1f | %d created, %d failed, %d skipped |\n" \
  "$irows" "$iseconds" "$(echo "$irows / $iseconds" | bc -l)" "$(echo "$irest / 1024" | bc -l)" \
  "$(echo "$ipeak / 1024" | bc -l)" "$created" "$failed" "$skipped"
kill $server; wait $server 2>/dev/null || true
if [ "$BACKEND" = postgres ]; then psql "$PG_URL/postgres" -qc "DROP DATABASE $fresh_name"; fi
