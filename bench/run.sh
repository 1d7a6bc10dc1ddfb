#!/usr/bin/env bash
# The whole benchmark suite of BENCHMARKS.md, in one run: the statistics
# (bench/stats.sh) and then the CRUD load (bench/crud.sh, which writes into
# the loaded databases), on SQLite and PostgreSQL at scales 10 and 100.
# Prints markdown; the loaded data is kept in $DATA and reused.
#
#   bench/run.sh | tee bench-results.md
set -euo pipefail
cd "$(dirname "$0")/.."
echo "# crm benchmark run, $(date -u '+%F %H:%M') UTC, $(nproc) cores, commit $(git rev-parse --short HEAD)"
echo
echo "## Statistics"
bench/stats.sh
echo
echo "## CRUD"
bench/crud.sh
