#!/usr/bin/env bash
# The README's test command: types, lint and format, then every jest test (unit + integration/e2e).
set -euo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC
step() { printf '\n==> %s\n' "$1"; }
step "prisma generate"
npx prisma generate >/dev/null
step "type-check (tsc --noEmit)"
npx tsc --noEmit
step "eslint"
npx eslint .
step "prettier --check"
npx prettier --check . >/dev/null
step "build"
npm run -s build
step "jest (unit, integration, e2e)"
NODE_OPTIONS=--experimental-vm-modules npx jest --ci "$@"
