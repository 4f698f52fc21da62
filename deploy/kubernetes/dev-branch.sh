#!/usr/bin/env bash
# Starts (or refreshes) a throw-away dev server for a branch, as the Cookie Run team did:
#   deploy/kubernetes/dev-branch.sh BRANCH IMAGE [TTL_HOURS] [DOMAIN]
# e.g. deploy/kubernetes/dev-branch.sh feature/clan-war registry.example.com/summoner:abc123 48
# The namespace is summoner-dev-<branch, made DNS-safe>; the janitor (janitor.yaml) deletes
# it once TTL_HOURS (default 72) passed; running this again pushes the expiry out.
# `kubectl delete namespace summoner-dev-<branch>` ends it at once. KUBECTL names another
# kubectl (a wrapper, or a stand-in that prints what it is given).
set -euo pipefail
kubectl=${KUBECTL:-kubectl}
branch_raw=${1:?usage: dev-branch.sh BRANCH IMAGE [TTL_HOURS] [DOMAIN]}
image=${2:?usage: dev-branch.sh BRANCH IMAGE [TTL_HOURS] [DOMAIN]}
ttl_hours=${3:-72}
domain=${4:-dev.example-game.com}
# Namespace names: lowercase letters, digits and '-', at most 63 characters in all, neither
# starting nor ending with '-' (so the cut comes before the dashes are stripped).
branch=$(printf '%s' "$branch_raw" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9-' '-' | sed 's/--*/-/g' | cut -c1-48 | sed 's/^-*//; s/-*$//')
[ -n "$branch" ] || { echo "branch name has no usable characters" >&2; exit 2; }
expires_at=$(( $(date +%s) + ttl_hours * 3600 ))
here=$(dirname "$0")
sed -e "s|\${BRANCH}|$branch|g" -e "s|\${IMAGE}|$image|g" -e "s|\${EXPIRES_AT}|$expires_at|g" \
    -e "s|\${HOST}|$branch.$domain|g" "$here/dev-branch.yaml" | "$kubectl" apply -f -
# Restart so a new image under the same tag is pulled.
"$kubectl" -n "summoner-dev-$branch" rollout restart deployment/summoner
echo "summoner-dev-$branch: http://$branch.$domain/api until $(date -d "@$expires_at" 2>/dev/null || echo "$expires_at")"
