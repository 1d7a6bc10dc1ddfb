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
UNTIL=${UNTIL:-2026-11-22}
SCALES=${SCALES:-10 100}
BACKENDS=${BACKENDS:-sqlite postgres}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
DATA=${DATA:-$HOME/.cache/crm-bench}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/crm-target}
mkdir -p "$DATA"
cargo build --release --locked -p crm -p crm-bench
CRM="$CARGO_TARGET_DIR/release/crm"
BENCH="$CARGO_TARGET_DIR/release/crm-bench"

for scale in $SCALES; do
  for backend in $BACKENDS; do
    if [ "$backend" = sqlite ]; then
      url="sqlite://$DATA/scale$scale.db?mode=rwc"
      fresh=$([ -f "$DATA/scale$scale.db" ] && echo no || echo yes)
    else
      name="crm_bench_scale$scale"
      url="$PG_URL/$name"
      if psql "$PG_URL/postgres" -Atc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
        fresh=no
      else
        psql "$PG_URL/postgres" -qc "CREATE DATABASE $name"
        fresh=yes
      fi
    fi
    if [ "$fresh" = yes ]; then
      echo "== loading --scale $scale into $backend"
      DATABASE_URL="$url" CRM_DEMO_DATA=false "$CRM" seed --scale "$scale" --until "$UNTIL" > "$DATA/seed-$backend-$scale.log"
      grep '^Loaded' "$DATA/seed-$backend-$scale.log"
    fi
    echo
    echo "== $backend, --scale $scale ($(nproc) cores, $(date -u +%F))"
    # shellcheck disable=SC2086
    "$BENCH" stats --database-url "$url" --until "$UNTIL" ${BENCH_ARGS:-}
  done
done
