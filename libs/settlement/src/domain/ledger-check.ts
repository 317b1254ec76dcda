import { Decimal, dec, type DecimalInput } from '@app/core';

/*
 * Amounts are DecimalInput so that rows read straight from Prisma (whose Decimal is another
 * decimal.js build) or from raw SQL (strings) can be checked without conversion.
 */
export interface LedgerPostingRow {
  journalEntryId: string;
  accountId: string;
  assetCode: string;
  amount: DecimalInput;
}

export interface LedgerBalanceRow {
  accountId: string;
  assetCode: string;
  amount: DecimalInput;
}

export interface LedgerPositionRow {
  accountId: string;
  /** The instrument's asset code (its name). */
  assetCode: string;
  quantity: DecimalInput;
}

export interface CheckLedgerInput {
  postings: readonly LedgerPostingRow[];
  balances: readonly LedgerBalanceRow[];
  positions: readonly LedgerPositionRow[];
  /** Asset codes kept in balances; every other asset is an instrument kept in positions. */
  currencyCodes?: readonly string[];
}

export type LedgerProblemCode =
  | 'LEDGER.ENTRY_UNBALANCED'
  | 'LEDGER.ASSET_UNBALANCED'
  | 'LEDGER.BALANCE_MISMATCH'
  | 'LEDGER.POSITION_MISMATCH'
  | 'LEDGER.WRONG_READ_MODEL'
  | 'LEDGER.DUPLICATE_READ_MODEL_ROW';

export type LedgerProblem = {
  code: LedgerProblemCode;
  message: string;
  assetCode: string;
  accountId?: string;
  journalEntryId?: string;
  /** What the postings say (0 for a sum that must balance). */
  expected: Decimal;
  /** What was found. */
  actual: Decimal;
};

/**
 * Checks the ledger's invariants over plain rows: every journal entry and every asset sums to
 * zero, and each read model row (balance for a currency, position for an instrument) equals the
 * sum of its account's postings in that asset; a missing row counts as zero. Returns the
 * problems found, each naming its asset, account or journal entry; an empty list means healthy.
 */
export function checkLedger(input: CheckLedgerInput): LedgerProblem[] {
  const currencies = new Set(input.currencyCodes ?? ['USDC']);
  const problems: LedgerProblem[] = [];
  const zero = new Decimal(0);

  const byEntry = new Map<string, { journalEntryId: string; assetCode: string; sum: Decimal }>();
  const byAsset = new Map<string, Decimal>();
  const byHolding = new Map<string, { accountId: string; assetCode: string; sum: Decimal }>();
  for (const p of input.postings) {
    const amount = dec(p.amount);
    const entryKey = key(p.journalEntryId, p.assetCode);
    const entry = byEntry.get(entryKey) ?? {
      journalEntryId: p.journalEntryId,
      assetCode: p.assetCode,
      sum: zero,
    };
    byEntry.set(entryKey, { ...entry, sum: entry.sum.plus(amount) });
    byAsset.set(p.assetCode, (byAsset.get(p.assetCode) ?? zero).plus(amount));
    const holdingKey = key(p.accountId, p.assetCode);
    const holding = byHolding.get(holdingKey) ?? {
      accountId: p.accountId,
      assetCode: p.assetCode,
      sum: zero,
    };
    byHolding.set(holdingKey, { ...holding, sum: holding.sum.plus(amount) });
  }

  for (const e of sortBy([...byEntry.values()], (e) => [e.journalEntryId, e.assetCode])) {
    if (e.sum.isZero()) continue;
    problems.push({
      code: 'LEDGER.ENTRY_UNBALANCED',
      message: `journal entry ${e.journalEntryId} does not balance in ${e.assetCode}: sums to ${e.sum.toFixed()}`,
      assetCode: e.assetCode,
      journalEntryId: e.journalEntryId,
      expected: zero,
      actual: e.sum,
    });
  }
  for (const [assetCode, sum] of sortBy([...byAsset.entries()], ([a]) => [a])) {
    if (sum.isZero()) continue;
    problems.push({
      code: 'LEDGER.ASSET_UNBALANCED',
      message: `postings in ${assetCode} sum to ${sum.toFixed()} instead of 0`,
      assetCode,
      expected: zero,
      actual: sum,
    });
  }

  const readModel = new Map<string, { accountId: string; assetCode: string; value: Decimal }>();
  const readRow = (
    accountId: string,
    assetCode: string,
    raw: DecimalInput,
    table: 'balances' | 'positions',
  ) => {
    const value = dec(raw);
    const wantsBalance = currencies.has(assetCode);
    if (wantsBalance !== (table === 'balances')) {
      problems.push({
        code: 'LEDGER.WRONG_READ_MODEL',
        message: `${assetCode} of account ${accountId} is kept in ${table}, but belongs in ${wantsBalance ? 'balances' : 'positions'}`,
        assetCode,
        accountId,
        expected: zero,
        actual: value,
      });
    }
    const k = key(accountId, assetCode);
    const seen = readModel.get(k);
    if (seen !== undefined) {
      problems.push({
        code: 'LEDGER.DUPLICATE_READ_MODEL_ROW',
        message: `account ${accountId} has more than one read model row for ${assetCode}`,
        assetCode,
        accountId,
        expected: seen.value,
        actual: value,
      });
    }
    readModel.set(k, { accountId, assetCode, value: (seen?.value ?? zero).plus(value) });
  };
  for (const b of input.balances) readRow(b.accountId, b.assetCode, b.amount, 'balances');
  for (const p of input.positions) readRow(p.accountId, p.assetCode, p.quantity, 'positions');

  const holdings = new Map<string, { accountId: string; assetCode: string }>();
  for (const [k, h] of byHolding) holdings.set(k, h);
  for (const [k, r] of readModel) holdings.set(k, r);
  for (const h of sortBy([...holdings.values()], (h) => [h.assetCode, h.accountId])) {
    const k = key(h.accountId, h.assetCode);
    const expected = byHolding.get(k)?.sum ?? zero;
    const actual = readModel.get(k)?.value ?? zero;
    if (expected.eq(actual)) continue;
    const isCurrency = currencies.has(h.assetCode);
    problems.push({
      code: isCurrency ? 'LEDGER.BALANCE_MISMATCH' : 'LEDGER.POSITION_MISMATCH',
      message:
        `${isCurrency ? 'balance' : 'position'} of account ${h.accountId} in ${h.assetCode} is ` +
        `${actual.toFixed()}, its postings sum to ${expected.toFixed()}`,
      assetCode: h.assetCode,
      accountId: h.accountId,
      expected,
      actual,
    });
  }
  return problems;
}

function key(a: string, b: string): string {
  return JSON.stringify([a, b]);
}

function sortBy<T>(items: T[], keyOf: (item: T) => string[]): T[] {
  return items.sort((x, y) => {
    const a = keyOf(x).join('\u0000');
    const b = keyOf(y).join('\u0000');
    return a < b ? -1 : a > b ? 1 : 0;
  });
}
