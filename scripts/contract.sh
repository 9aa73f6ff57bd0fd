#!/usr/bin/env bash
# Contract check (`make contract`): schemathesis, pinned, drives a live
# `spoke serve` on a fresh SQLite database holding the demo agency, as an
# admin and as a case manager, with every check but the ones listed in
# EXCLUDED below. Fails on any failure schemathesis reports.
#
# CONTRACT_EXAMPLES sets examples per operation (default 8), CONTRACT_VENV
# where the pinned schemathesis is installed (default target/contract-venv),
# CONTRACT_ARGS more schemathesis options (`--include-tag appointments`).
# CONTRACT_ARGS more schemathesis options (`--include-tag appointments`).
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS=schemathesis==4.32.5
venv=${CONTRACT_VENV:-target/contract-venv}
examples=${CONTRACT_EXAMPLES:-8}
spoke=${SPOKE:-target/debug/spoke}

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "${SCHEMATHESIS#*==}"; then
    echo "contract: installing $SCHEMATHESIS into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "$SCHEMATHESIS"
fi

work=$(mktemp -d)
server=""
cleanup() {
    [ -n "$server" ] && kill "$server" 2>/dev/null || true
    rm -rf "$work"
}
report=${CONTRACT_REPORT:-target/contract}
mkdir -p "$report"
trap cleanup EXIT

export SPOKE_DATABASE_URL="$work/spoke.db"
export SPOKE_JWT_SECRET="contract-check-secret-0123456789abcdefghij"
export SPOKE_TOKEN_TTL_MINUTES=120
export SPOKE_LOG=warn
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$spoke" seed-demo >/dev/null
SPOKE_BIND="127.0.0.1:$port" "$spoke" serve 2>"$work/serve.log" &
server=$!
for _ in $(seq 100); do
    curl -fsS "$base/readyz" >/dev/null 2>&1 && break
    sleep 0.1
done

token() {
    curl -fsS -X POST "$base/v1/auth/login" -H 'content-type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"spoke-demo-password\"}" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

status=0
for who in admin@demo.spoke.test sam.okafor@demo.spoke.test; do
    echo "contract: schemathesis as $who, $examples examples per operation"
    "$venv/bin/schemathesis" --config-file contract/schemathesis.toml run openapi/openapi.json \
        --url "$base" \
        --header "Authorization: Bearer $(token "$who")" \
        --checks all \
        --max-examples "$examples" \
        --seed 20261127 \
        --request-timeout 10 \
        --suppress-health-check all \
        --report junit --report-dir "$report" \
        --no-color ${CONTRACT_ARGS:-} || status=1
done
cp "$work/serve.log" "$report/serve.log"
if [ "$status" -ne 0 ]; then
    echo "contract: failures above; the server's log is $report/serve.log" >&2
fi
exit "$status"
