// npm run db:seed: loads the reference data and prints newly issued API keys once.
import { loadConfigOrExit } from '@app/core';
import { seedDatabase } from '@app/db';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from '@prisma/client';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'keys-file': { type: 'string' }, quiet: { type: 'boolean' } } });
const config = loadConfigOrExit();
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: config.DATABASE_URL }) });
try {
  const result = await seedDatabase(prisma, {
    now: new Date(),
    encryptionKeyHex: config.API_KEY_ENCRYPTION_KEY,
    feeAccountName: config.FEE_ACCOUNT_NAME,
    hedgeVenueAccountName: config.HEDGE_VENUE_ACCOUNT_NAME,
  });
  if (values['keys-file'] && result.keys.length > 0) {
    writeFileSync(values['keys-file'], JSON.stringify(result.keys, null, 2), { mode: 0o600 });
  }
  if (!values.quiet) {
    console.log(`seeded ${result.instruments} instruments and ${result.accounts} accounts`);
    if (result.keys.length === 0)
      console.log('API keys were issued by an earlier seed (secrets are shown only once)');
    for (const k of result.keys) {
      console.log(
        `${k.account.padEnd(14)} ${k.role.padEnd(6)} key ${k.keyId}  secret ${k.secret}  [${k.scopes.join(',')}]`,
      );
    }
  }
} finally {
  await prisma.$disconnect();
}
