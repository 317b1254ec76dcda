// Prisma CLI configuration. The CLI runs the WebAssembly schema engine through the pg driver
// adapter, so no native engine download is needed (see README, "Prisma offline").
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { defineConfig } from 'prisma/config';

// The pg adapter cannot read PostgreSQL `name` columns (oid 19) that the schema engine's catalog
// queries return (prisma/orm#27403). Report them as `text` (oid 25): same wire format.
const PG_NAME_OID = 19;
const PG_TEXT_OID = 25;
type Field = { dataTypeID: number };
const resultProto = pg.Result.prototype as unknown as { addFields(fields: Field[]): void };
const addFields = resultProto.addFields;
resultProto.addFields = function patched(this: unknown, fields: Field[]) {
  for (const field of fields) if (field.dataTypeID === PG_NAME_OID) field.dataTypeID = PG_TEXT_OID;
  addFields.call(this, fields);
};

// Tooling only: the applications read DATABASE_URL through their validated configuration.
// The schema's datasource reads DATABASE_URL too; give it the same default so the CLI never
// falls back to downloading engines when the variable is missing.
process.env.DATABASE_URL ??= 'postgresql://postgres@127.0.0.1:5432/rfq';
const databaseUrl = process.env.DATABASE_URL;

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter: async () => new PrismaPg({ connectionString: databaseUrl }),
});
