#!/usr/bin/env bash
# Regenerates the initial migration from the entities (only while nothing has been released).
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f src/database/migrations/*-Init.ts
printf "export const MIGRATIONS: Function[] = [];\n" > src/database/migrations/index.ts
node --import @swc-node/register/esm-register src/database/migration-generate.cli.ts Init
f=$(ls src/database/migrations/*-Init.ts)
cls=$(grep -o "class Init[0-9]*" "$f" | cut -d' ' -f2)
b=$(basename "$f" .ts)
cat > src/database/migrations/index.ts <<EOT
import { $cls } from './$b.js';
import { AuditAppendOnly1796100000000 } from './1796100000000-AuditAppendOnly.js';

/** Migrations in order. Generate new ones with \`npm run migration:generate -- <Name>\`. */
export const MIGRATIONS: Function[] = [$cls, AuditAppendOnly1796100000000];
EOT
