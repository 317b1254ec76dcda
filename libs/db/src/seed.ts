import { issueApiKey } from '@app/core';
import type { PrismaClient } from '@prisma/client';

/**
 * Reference data for a fresh platform: BTC and ETH option chains, dated futures and perpetuals,
 * demo takers and makers, an admin, and the system accounts. Safe to run again: it upserts, and
 * issues API keys only to accounts that have none (a secret is printed once, never stored plain).
 */
export interface SeedOptions {
  now: Date;
  encryptionKeyHex: string;
  feeAccountName: string;
  hedgeVenueAccountName: string;
}

export interface SeededKey {
  account: string;
  role: string;
  keyId: string;
  secret: string;
  scopes: string[];
}

export interface SeedResult {
  instruments: number;
  accounts: number;
  keys: SeededKey[];
}

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

/** Deribit-style expiry code: 25DEC26. */
export function expiryCode(date: Date): string {
  return `${date.getUTCDate()}${MONTHS[date.getUTCMonth()]}${String(date.getUTCFullYear()).slice(2)}`;
}

/** Fridays 08:00 UTC at least `minDays` ahead: the expiry convention of crypto option venues. */
function fridayAfter(now: Date, minDays: number): Date {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + minDays, 8));
  while (d.getUTCDay() !== 5) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}

interface UnderlyingSpec {
  symbol: string;
  spot: number;
  strikeStep: number;
  strikesEachSide: number;
  optionTick: string;
  optionLot: string;
  futureTick: string;
  futureLot: string;
}

export const SEED_UNDERLYINGS: UnderlyingSpec[] = [
  {
    symbol: 'BTC',
    spot: 100_000,
    strikeStep: 5_000,
    strikesEachSide: 4,
    optionTick: '5',
    optionLot: '0.01',
    futureTick: '0.5',
    futureLot: '0.001',
  },
  {
    symbol: 'ETH',
    spot: 3_500,
    strikeStep: 250,
    strikesEachSide: 4,
    optionTick: '0.5',
    optionLot: '0.1',
    futureTick: '0.05',
    futureLot: '0.01',
  },
];

const EXPIRY_DAYS = [7, 28, 91, 182];

export async function seedDatabase(prisma: PrismaClient, options: SeedOptions): Promise<SeedResult> {
  await prisma.asset.upsert({
    where: { code: 'USDC' },
    create: { code: 'USDC', kind: 'CURRENCY', scale: 12 },
    update: {},
  });

  let instruments = 0;
  for (const u of SEED_UNDERLYINGS) {
    const upsertInstrument = async (data: {
      name: string;
      kind: 'OPTION' | 'FUTURE' | 'PERPETUAL';
      expiry?: Date;
      strike?: string;
      optionType?: 'CALL' | 'PUT';
      tickSize: string;
      lotSize: string;
    }) => {
      const instrument = await prisma.instrument.upsert({
        where: { name: data.name },
        create: { ...data, underlying: u.symbol, contractMultiplier: '1' },
        update: {},
      });
      await prisma.asset.upsert({
        where: { code: instrument.name },
        create: { code: instrument.name, kind: 'INSTRUMENT', instrumentId: instrument.id, scale: 8 },
        update: {},
      });
      instruments++;
    };

    await upsertInstrument({
      name: `${u.symbol}-PERPETUAL`,
      kind: 'PERPETUAL',
      tickSize: u.futureTick,
      lotSize: u.futureLot,
    });
    for (const days of EXPIRY_DAYS) {
      const expiry = fridayAfter(options.now, days);
      const code = expiryCode(expiry);
      await upsertInstrument({
        name: `${u.symbol}-${code}`,
        kind: 'FUTURE',
        expiry,
        tickSize: u.futureTick,
        lotSize: u.futureLot,
      });
      for (let i = -u.strikesEachSide; i <= u.strikesEachSide; i++) {
        const strike = u.spot + i * u.strikeStep;
        for (const type of ['CALL', 'PUT'] as const) {
          await upsertInstrument({
            name: `${u.symbol}-${code}-${strike}-${type[0]}`,
            kind: 'OPTION',
            expiry,
            strike: String(strike),
            optionType: type,
            tickSize: u.optionTick,
            lotSize: u.optionLot,
          });
        }
      }
    }
  }

  const accounts: Array<{
    name: string;
    role: 'TAKER' | 'MAKER' | 'ADMIN' | 'SYSTEM';
    scopes: Array<'READ' | 'TRADE' | 'ADMIN'>;
    takerFeeBps?: string;
    makerFeeBps?: string;
    strategy?: { enabled: boolean; gamma: string; baseSpreadTicks: number };
  }> = [
    { name: 'taker-alpha', role: 'TAKER', scopes: ['READ', 'TRADE'], takerFeeBps: '3' },
    { name: 'taker-bravo', role: 'TAKER', scopes: ['READ', 'TRADE'], takerFeeBps: '3' },
    { name: 'taker-charlie', role: 'TAKER', scopes: ['READ', 'TRADE'], takerFeeBps: '3' },
    {
      name: 'maker-delta',
      role: 'MAKER',
      scopes: ['READ', 'TRADE'],
      makerFeeBps: '1',
      strategy: { enabled: true, gamma: '0.1', baseSpreadTicks: 2 },
    },
    {
      name: 'maker-echo',
      role: 'MAKER',
      scopes: ['READ', 'TRADE'],
      makerFeeBps: '1',
      strategy: { enabled: true, gamma: '0.5', baseSpreadTicks: 4 },
    },
    {
      name: 'maker-foxtrot',
      role: 'MAKER',
      scopes: ['READ', 'TRADE'],
      makerFeeBps: '1',
      strategy: { enabled: false, gamma: '0.1', baseSpreadTicks: 2 },
    },
    { name: 'admin', role: 'ADMIN', scopes: ['READ', 'TRADE', 'ADMIN'] },
    { name: options.feeAccountName, role: 'SYSTEM', scopes: [] },
    { name: options.hedgeVenueAccountName, role: 'SYSTEM', scopes: [] },
  ];

  const keys: SeededKey[] = [];
  for (const spec of accounts) {
    const account = await prisma.account.upsert({
      where: { name: spec.name },
      create: {
        name: spec.name,
        role: spec.role,
        takerFeeBps: spec.takerFeeBps ?? '0',
        makerFeeBps: spec.makerFeeBps ?? '0',
      },
      update: {},
    });
    if (spec.strategy) {
      await prisma.makerStrategy.upsert({
        where: { makerId: account.id },
        create: { makerId: account.id, ...spec.strategy },
        update: {},
      });
      // Limits for the built-in strategies only; the external demo maker manages its own risk.
      for (const underlying of spec.strategy.enabled ? SEED_UNDERLYINGS : []) {
        const spot = underlying.spot;
        await prisma.riskLimit.upsert({
          where: { makerId_underlying: { makerId: account.id, underlying: underlying.symbol } },
          create: {
            makerId: account.id,
            underlying: underlying.symbol,
            maxAbsDelta: String(underlying.symbol === 'BTC' ? 50 : 500),
            maxAbsVega: String(spot * 2),
            maxGrossNotional: String(spot * 500),
          },
          update: {},
        });
      }
    }
    if (spec.scopes.length === 0) continue;
    const existing = await prisma.apiKey.count({ where: { accountId: account.id, revokedAt: null } });
    if (existing > 0) continue;
    const issued = issueApiKey(options.encryptionKeyHex);
    await prisma.apiKey.create({
      data: {
        id: issued.keyId,
        accountId: account.id,
        label: 'seed',
        secretHash: issued.secretHash,
        secretCipher: issued.secretCipher,
        scopes: spec.scopes,
      },
    });
    keys.push({
      account: spec.name,
      role: spec.role,
      keyId: issued.keyId,
      secret: issued.secret,
      scopes: spec.scopes,
    });
  }

  return { instruments, accounts: accounts.length, keys };
}
