#!/usr/bin/env bash
# Customer Hub beside PostGraphile 4, over HTTP, on one PostgreSQL database seeded by the
# hub's own demo generator. A benchmark (prints figures), not a test.
#
#   bash benches/peer/run.sh
#
# Settings (environment):
#   PEER_CUSTOMERS   customers to seed (200000, as in issue 10; `customer-hub seed-demo`
#                    has no size setting and always seeds the generator's default, 2000,
#                    so the seeder in seed/ calls the same generator with this size)
#   PEER_PG          server URL without a database (postgres://postgres@127.0.0.1:5432)
#   PEER_DB          database to create, seed and drop (hub_peer)
#   PEER_KEEP_DB=1   keep the database afterwards; PEER_REUSE_DB=1 reuse it if seeded
#   PEER_CONCURRENCY (16), PEER_ROUNDS (3), PEER_ROUND_REQUESTS (3000), PEER_ROUND_SECONDS (10),
#   PEER_WARMUP (300), PEER_COUNT_REQUESTS (200), PEER_SAMPLE (20), PEER_POOL (10),
#   PEER_SHOW_SQL=1 prints the statements of one request of each workload per server
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
customers="${PEER_CUSTOMERS:-200000}"
pg="${PEER_PG:-postgres://postgres@127.0.0.1:5432}"
db="${PEER_DB:-hub_peer}"
export PEER_DB="$db"
hostport="${pg#*://}"; hostport="${hostport#*@}"
export PEER_PG_HOST="${hostport%%:*}" PEER_PG_PORT="${hostport##*:}"
user="${pg#*://}"; user="${user%%@*}"; export PEER_PG_USER="$user"
psql_admin() { psql "$pg/postgres" -v ON_ERROR_STOP=1 -qAtc "$1"; }

echo "== building the hub (release) and the seeder"
(cd "$root" && cargo build --release --quiet)
# The seeder is a crate of its own, built with the hub's lock file in a target directory
# of its own (sharing the hub's makes each build redo the other's hub library).
cp "$root/Cargo.lock" "$here/seed/Cargo.lock"
seed_target="$root/target/peer-seed"
(cd "$here/seed" && CARGO_TARGET_DIR="$seed_target" cargo build --release --quiet)
if [ ! -d "$here/node_modules" ]; then
  echo "== npm ci (postgraphile@4, pg)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

cleanup() {
  if [ "${PEER_KEEP_DB:-0}" != 1 ]; then
    psql_admin "DROP DATABASE IF EXISTS $db WITH (FORCE)" && echo "== dropped database $db"
  else
    echo "== kept database $db"
  fi
}
if [ "${PEER_REUSE_DB:-0}" != 1 ]; then
  psql_admin "DROP DATABASE IF EXISTS $db WITH (FORCE)"
fi
if [ -z "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
  psql_admin "CREATE DATABASE $db"
fi
trap cleanup EXIT

echo "== seeding $db with the demo generator: $customers customers"
"$seed_target/release/peer-seed" "$pg/$db" "$customers"
psql "$pg/$db" -qAtc "VACUUM ANALYZE"
psql "$pg/$db" -qAtc "SELECT 'rows: ' || ((SELECT count(*) FROM customer) + (SELECT count(*) FROM contact_point) + (SELECT count(*) FROM vehicle) + (SELECT count(*) FROM vehicle_ownership) + (SELECT count(*) FROM repair_order) + (SELECT count(*) FROM insurance_policy) + (SELECT count(*) FROM lead) + (SELECT count(*) FROM delivery) + (SELECT count(*) FROM parts_order) + (SELECT count(*) FROM customer_store))"

echo "== benchmark"
node "$here/bench.mjs"
