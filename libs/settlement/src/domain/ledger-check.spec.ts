import { describe, expect, it } from '@jest/globals';
import { dec } from '@app/core';
import {
  checkLedger,
  type LedgerBalanceRow,
  type LedgerPositionRow,
  type LedgerPostingRow,
} from './ledger-check.js';
import { buildFillPostings } from './postings.js';

const OPTION = 'BTC-25DEC26-100000-C';

/** Two fills booked through buildFillPostings, with read models that match them. */
function healthyLedger() {
  const postings: LedgerPostingRow[] = [];
  const book = (journalEntryId: string, takerSide: 'BUY' | 'SELL', quantity: string) => {
    const { postings: lines } = buildFillPostings({
      takerId: 'taker',
      makerId: 'maker',
      feeAccountId: 'fees',
      takerSide,
      quantity: dec(quantity),
      legs: [
        { instrumentName: OPTION, side: 'BUY', ratio: dec(1), price: dec(1500), multiplier: dec(1) },
        {
          instrumentName: 'BTC-PERPETUAL',
          side: 'SELL',
          ratio: dec(1),
          price: dec(98000),
          multiplier: dec('0.001'),
        },
      ],
      takerFee: dec('1.25'),
      makerFee: dec('0.5'),
      currency: 'USDC',
    });
    for (const p of lines) postings.push({ journalEntryId, ...p });
  };
  book('j1', 'BUY', '5');
  book('j2', 'SELL', '2');
  // taker: +3 option, -3 perp; USDC: -(5 − 2) × (1500 − 98) − 2 × 1.25 = -4208.5
  const balances: LedgerBalanceRow[] = [
    { accountId: 'taker', assetCode: 'USDC', amount: '-4208.5' },
    { accountId: 'maker', assetCode: 'USDC', amount: dec('4205') },
    { accountId: 'fees', assetCode: 'USDC', amount: '3.5' },
  ];
  const positions: LedgerPositionRow[] = [
    { accountId: 'taker', assetCode: OPTION, quantity: '3' },
    { accountId: 'maker', assetCode: OPTION, quantity: '-3.000' },
    { accountId: 'taker', assetCode: 'BTC-PERPETUAL', quantity: -3 },
    { accountId: 'maker', assetCode: 'BTC-PERPETUAL', quantity: 3 },
    { accountId: 'fees', assetCode: 'BTC-PERPETUAL', quantity: 0 },
  ];
  return { postings, balances, positions };
}

describe('checkLedger', () => {
  it('finds nothing wrong in a consistent ledger', () => {
    expect(checkLedger(healthyLedger())).toEqual([]);
  });

  it('accepts amounts from other decimal builds through their string form', () => {
    const ledger = healthyLedger();
    const foreign = { toString: () => '-4208.5' };
    ledger.balances[0] = { accountId: 'taker', assetCode: 'USDC', amount: foreign };
    expect(checkLedger(ledger)).toEqual([]);
  });

  it('names the journal entry and asset that do not balance', () => {
    const ledger = healthyLedger();
    ledger.postings.push({ journalEntryId: 'j3', accountId: 'maker', assetCode: 'USDC', amount: '0.01' });
    const problems = checkLedger(ledger);
    expect(
      problems.map((p) => [p.code, p.journalEntryId ?? p.accountId ?? '', p.assetCode, p.actual.toFixed()]),
    ).toEqual([
      ['LEDGER.ENTRY_UNBALANCED', 'j3', 'USDC', '0.01'],
      ['LEDGER.ASSET_UNBALANCED', '', 'USDC', '0.01'],
      ['LEDGER.BALANCE_MISMATCH', 'maker', 'USDC', '4205'],
    ]);
    expect(problems[2]?.expected.toFixed()).toBe('4205.01');
  });

  it('names the account whose read model differs from its postings', () => {
    const ledger = healthyLedger();
    ledger.positions[0] = { accountId: 'taker', assetCode: OPTION, quantity: '4' };
    ledger.balances.pop();
    const problems = checkLedger(ledger);
    expect(problems).toMatchObject([
      { code: 'LEDGER.POSITION_MISMATCH', accountId: 'taker', assetCode: OPTION },
      { code: 'LEDGER.BALANCE_MISMATCH', accountId: 'fees', assetCode: 'USDC' },
    ]);
    expect(problems.map((p) => [p.expected.toFixed(), p.actual.toFixed()])).toEqual([
      ['3', '4'],
      ['3.5', '0'],
    ]);
  });

  it('flags a non-zero read model row without postings', () => {
    const ledger = healthyLedger();
    ledger.balances.push({ accountId: 'ghost', assetCode: 'USDC', amount: '10' });
    expect(checkLedger(ledger)).toMatchObject([{ code: 'LEDGER.BALANCE_MISMATCH', accountId: 'ghost' }]);
  });

  it('flags a row kept in the wrong read model and duplicate rows', () => {
    const ledger = healthyLedger();
    ledger.positions.push({ accountId: 'ghost', assetCode: 'USDC', quantity: '0' });
    ledger.positions.push({ accountId: 'taker', assetCode: OPTION, quantity: '0' });
    expect(checkLedger(ledger).map((p) => p.code)).toEqual([
      'LEDGER.WRONG_READ_MODEL',
      'LEDGER.DUPLICATE_READ_MODEL_ROW',
    ]);
  });

  it('takes the currency list from the caller', () => {
    const postings = [
      { journalEntryId: 'j', accountId: 'a', assetCode: 'USDT', amount: '5' },
      { journalEntryId: 'j', accountId: 'b', assetCode: 'USDT', amount: '-5' },
    ];
    const balances = [
      { accountId: 'a', assetCode: 'USDT', amount: '5' },
      { accountId: 'b', assetCode: 'USDT', amount: '-5' },
    ];
    expect(checkLedger({ postings, balances, positions: [], currencyCodes: ['USDT'] })).toEqual([]);
    expect(checkLedger({ postings, balances, positions: [] }).map((p) => p.code)).toContain(
      'LEDGER.WRONG_READ_MODEL',
    );
  });
});
