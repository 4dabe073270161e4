#!/usr/bin/env bash
# The GitHub Action's one step (action.yml): build this tool from the action's own checkout
# (GITHUB_ACTION_PATH), then publish with the job's OIDC ID token. Needs the job to have
# `permissions: id-token: write`; no secret is involved.
set -euo pipefail

tool="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this through action.yml}"
registry="${INPUT_REGISTRY:?the registry input is required}"
package="${INPUT_PATH:-.}"

if [ ! -f "$tool/dist/cli.js" ]; then
  echo "Installing pesde-registry from $tool"
  (cd "$tool" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
fi

args=(publish "$package" --registry "$registry" --oidc --json)
if [ -n "${INPUT_AUDIENCE:-}" ]; then args+=(--audience "$INPUT_AUDIENCE"); fi

status=0
result="$(node "$tool/bin/pesde-registry.js" "${args[@]}")" || status=$?
echo "$result"
if [ -n "${GITHUB_OUTPUT:-}" ]; then echo "result=$result" >> "$GITHUB_OUTPUT"; fi
exit "$status"
