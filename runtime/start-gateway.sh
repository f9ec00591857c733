#!/bin/sh
# Starts the tenant's OpenClaw gateway inside the Sandbox container (the sandbox driver runs this
# with startProcess). Config and workspace are written by the driver before it runs; secrets arrive
# only as environment variables (OPENCLAW_GATEWAY_TOKEN, AUTOCLAW_MODEL_TOKEN).
set -eu
: "${OPENCLAW_CONFIG_PATH:?}" "${OPENCLAW_STATE_DIR:?}" "${OPENCLAW_GATEWAY_TOKEN:?}"
mkdir -p "$OPENCLAW_STATE_DIR" "${TMPDIR:-/data/tenant/tmp}" "${HOME:-/data/tenant/home}" /data/tenant/workspace /data/tenant/logs
# The config keeps OpenClaw's per-turn session maintenance off ("warn"): prune old sessions here, ten
# minutes after start and then every SESSION_CLEANUP_SECONDS (6 h), as the host driver does.
( sleep 600; while :; do openclaw sessions cleanup --all-agents --enforce >/data/tenant/logs/session-cleanup.log 2>&1 || true; sleep "${SESSION_CLEANUP_SECONDS:-21600}"; done ) &
exec openclaw gateway run --port "${GATEWAY_PORT:-18789}" --bind loopback
