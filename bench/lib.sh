# Shared by the benchmark scripts: settings and loading the data once.
# shellcheck shell=bash
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

# database_url BACKEND SCALE: the URL of the loaded database, loading it
# with `crm seed --scale SCALE` the first time.
database_url() {
  local backend=$1 scale=$2 url fresh name
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
    echo "== loading --scale $scale into $backend" >&2
    DATABASE_URL="$url" CRM_DEMO_DATA=false "$CRM" seed --scale "$scale" --until "$UNTIL" > "$DATA/seed-$backend-$scale.log"
    grep '^Loaded' "$DATA/seed-$backend-$scale.log" >&2
  fi
  echo "$url"
}
