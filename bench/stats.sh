#!/usr/bin/env bash
# The statistics benchmark of BENCHMARKS.md: loads --scale 10 and --scale
# 100 into SQLite files and PostgreSQL databases (once; reused afterwards)
# and measures every statistic on each, printing one table per database.
#
#   bench/stats.sh                      # everything
#   SCALES=10 BACKENDS=sqlite bench/stats.sh
#   BENCH_ARGS="--windows month,quarter --only sales" bench/stats.sh
#
# PG_URL is a server where the script may create databases
# (default postgres://postgres@127.0.0.1:5432); DATA holds the SQLite files.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

for scale in $SCALES; do
  for backend in $BACKENDS; do
    url=$(database_url "$backend" "$scale")
    echo
    echo "== $backend, --scale $scale ($(nproc) cores, $(date -u +%F))"
    # shellcheck disable=SC2086
    "$BENCH" stats --database-url "$url" --until "$UNTIL" ${BENCH_ARGS:-}
  done
done
