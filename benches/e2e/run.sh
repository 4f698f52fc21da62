#!/usr/bin/env bash
# The end-to-end benchmark (benches/e2e/main.rs): checks that PostgreSQL and two Redis
# shards answer, builds the release binaries, and runs the bot swarm against the server on
# PostgreSQL + Redis and on the embedded default. Settings are environment variables (see
# the top of main.rs), e.g. SUMMONER_E2E_BOTS=20000 SUMMONER_E2E_RATE=closed.
set -euo pipefail
cd "$(dirname "$0")/../.."

postgres="${SUMMONER_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
redis="${SUMMONER_BENCH_REDIS_URLS:-redis://127.0.0.1:6379,redis://127.0.0.1:6380}"
pg_isready -d "$postgres" >/dev/null || { echo "PostgreSQL does not answer at $postgres" >&2; exit 1; }
for url in ${redis//,/ }; do
    hostport="${url#redis://}"
    redis-cli -h "${hostport%:*}" -p "${hostport##*:}" ping >/dev/null \
        || { echo "Redis does not answer at $url" >&2; exit 1; }
done

cargo build --release --bins
cargo bench --bench e2e -- "$@"
