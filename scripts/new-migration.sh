#!/usr/bin/env bash
# Writes a new migration from the difference between the last committed schema and the working one
# (`prisma migrate dev` cannot run offline through the driver adapter; see README "Prisma offline").
set -euo pipefail
name=${1:?usage: npm run db:migration:new -- <name>}
dir="prisma/migrations/$(date -u +%Y%m%d%H%M%S)_${name}"
prev=$(mktemp)
git show HEAD:prisma/schema.prisma > "$prev"
mkdir -p "$dir"
npx prisma migrate diff --from-schema-datamodel "$prev" --to-schema-datamodel prisma/schema.prisma --script -o "$dir/migration.sql"
echo "wrote $dir/migration.sql: review it, then npm run db:migrate"
