#!/usr/bin/env bash
# Fresh-machine set-up shared by `npm start` and `npm test`: pnpm, dependencies (including the
# Node 26 that every pnpm script runs on), and for tests Debian's Chromium. Then runs the pnpm script.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.9
if [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "› installing pnpm $PNPM_VERSION"
  if ! npm install -g "pnpm@$PNPM_VERSION" >/dev/null 2>&1; then
    # No rights to the global prefix: keep pnpm inside the repo instead.
    npm install --prefix .autoclaw/tools "pnpm@$PNPM_VERSION" >/dev/null
    export PATH="$PWD/.autoclaw/tools/node_modules/.bin:$PATH"
  fi
fi

if [ "${CI:-}" = "true" ]; then pnpm install --frozen-lockfile; else pnpm install --frozen-lockfile --reporter=silent; fi

if [ "${1:-}" = "test:all" ] && [ ! -x /usr/bin/chromium ]; then
  echo "› installing Debian's chromium for the browser tests"
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "The browser tests need Chromium at /usr/bin/chromium: run 'sudo apt-get install -y chromium'." >&2
    exit 1
  fi
fi

exec pnpm run "$@"
