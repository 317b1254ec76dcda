import { createRng, type Rng } from '@app/pricing';

/**
 * A simulation history: a plain list of actions generated from the seed alone. Targets are not ids
 * (those are random UUIDs minted by the engine) but picks resolved at run time against what exists
 * then, in creation order, so any sub-list of a history is itself a runnable history: that is what
 * lets the runner shrink a failing one.
 */

export type Side = 'BUY' | 'SELL';

/** Picks one entity among those that exist at run time: `n` modulo the candidates, `live` prefers open ones. */
export interface Pick {
  live: boolean;
  n: number;
}

export interface QuoteSideSpec {
  /** Price = structure reference + offset × structure tick. */
  offsetTicks: number;
  /** Quantity as a percentage of the RFQ quantity (rounded up to whole lots; > 100 is refused). */
  pct: number;
  /** Minimum as a percentage of the side quantity, or null for all-or-none. */
  minPct: number | null;
}

export type PlantKind = 'balance' | 'quote-state';

export type Action = { id: number; dt: number } & (
  | {
      kind: 'rfq.create';
      taker: number;
      structure: number;
      lots: number;
      expiresIn: number;
      /** Bit i set = routed to maker i; 0 = routed to all makers. */
      makers: number;
      disclosed: boolean;
      auto: { side: Side; offsetTicks: number; after: number } | null;
      copies: number;
    }
  | { kind: 'rfq.cancel'; rfq: Pick; by: 'owner' | 'admin' | 'other-taker'; copies: number }
  | {
      kind: 'quote.submit';
      maker: number;
      rfq: Pick;
      bid: QuoteSideSpec | null;
      ask: QuoteSideSpec | null;
      validFor: number;
      copies: number;
    }
  | {
      kind: 'quote.replace';
      quote: Pick;
      bid: QuoteSideSpec | null;
      ask: QuoteSideSpec | null;
      validFor: number;
      copies: number;
    }
  | { kind: 'quote.cancel'; quote: Pick; by: 'owner' | 'other-maker'; copies: number }
  | { kind: 'quote.cancel-all'; maker: number; rfq: Pick | null }
  | {
      kind: 'accept';
      rfq: Pick;
      quote: Pick;
      side: Side;
      /** Percentage of the quote's remaining, or null to let the engine default it. */
      pct: number | null;
      by: 'owner' | 'other-taker';
      copies: number;
    }
  | { kind: 'accept.race'; rfq: Pick; quote: Pick; side: Side; racers: number }
  | {
      kind: 'execute';
      rfq: Pick;
      side: Side;
      pct: number;
      limitOffsetTicks: number | null;
      allOrNone: boolean;
      copies: number;
    }
  | { kind: 'retry'; request: number; changeBody: boolean; copies: number }
  | { kind: 'clock.advance'; ms: number }
  | { kind: 'timers.fire'; dropPct: number; dupPct: number; salt: number }
  | { kind: 'rfq.expire'; rfq: Pick; copies: number }
  | { kind: 'quote.expire'; quote: Pick; copies: number }
  | { kind: 'auto-execute'; rfq: Pick; copies: number }
  | { kind: 'sweep'; engines: number }
  | { kind: 'relay'; relays: number }
  | {
      kind: 'control';
      freeze: boolean;
      scope: 'ACCOUNT' | 'UNDERLYING' | 'PLATFORM';
      /** Index into [...takers, ...makers] for ACCOUNT, into [BTC, ETH] for UNDERLYING. */
      target: number;
    }
  | { kind: 'sabotage'; plant: PlantKind; n: number }
);

export type ActionKind = Action['kind'];

export interface HistoryOptions {
  seed: number;
  steps: number;
  /** A deliberately planted fault, to prove the auditor and the shrinker work. */
  plant?: PlantKind | null;
}

const WEIGHTS: Array<[ActionKind, number]> = [
  ['rfq.create', 10],
  ['quote.submit', 36],
  ['quote.replace', 6],
  ['quote.cancel', 4],
  ['quote.cancel-all', 1],
  ['rfq.cancel', 3],
  ['accept', 12],
  ['accept.race', 2],
  ['execute', 12],
  ['retry', 6],
  ['clock.advance', 5],
  ['timers.fire', 6],
  ['rfq.expire', 2],
  ['quote.expire', 2],
  ['auto-execute', 2],
  ['sweep', 3],
  ['relay', 4],
  ['control', 3],
];

function chooser(weights: Array<[ActionKind, number]>): (rng: Rng) => ActionKind {
  const total = weights.reduce((s, [, w]) => s + w, 0);
  return (rng) => {
    let x = rng.nextFloat() * total;
    for (const [kind, w] of weights) {
      x -= w;
      if (x < 0) return kind;
    }
    return weights[weights.length - 1]![0];
  };
}

const int = (rng: Rng, lo: number, hi: number) => lo + rng.nextInt(hi - lo + 1);
const chance = (rng: Rng, p: number) => rng.nextFloat() < p;
const oneOf = <T>(rng: Rng, values: readonly T[]): T => values[rng.nextInt(values.length)]!;
const side = (rng: Rng): Side => (chance(rng, 0.5) ? 'BUY' : 'SELL');
const pick = (rng: Rng, pLive = 0.9): Pick => ({ live: chance(rng, pLive), n: rng.nextInt(1_000_000) });
/** Mostly 1; sometimes the same request several times at once (a client's retries racing each other). */
const copies = (rng: Rng) => (chance(rng, 0.2) ? int(rng, 2, 4) : 1);
const pct = (rng: Rng) => (chance(rng, 0.05) ? int(rng, 101, 150) : int(rng, 1, 100));

function quoteSide(rng: Rng, kind: 'bid' | 'ask', mid: number): QuoteSideSpec {
  // Bids below asks around a moving mid, so books cross the takers' limits often enough to trade.
  const spread = int(rng, 0, 12);
  return {
    offsetTicks: kind === 'bid' ? mid - spread - 1 : mid + spread,
    pct: pct(rng),
    minPct: chance(rng, 0.15) ? null : int(rng, 1, 60),
  };
}

function quoteSides(rng: Rng): { bid: QuoteSideSpec | null; ask: QuoteSideSpec | null } {
  const mid = int(rng, -8, 8);
  const shape = rng.nextInt(25);
  // Two-sided mostly, else one-sided; now and then a crossed or empty quote, which the engine
  // must refuse without side effects.
  const bid = shape < 16 || shape >= 20 ? quoteSide(rng, 'bid', mid) : null;
  const ask = shape < 20 ? quoteSide(rng, 'ask', mid) : null;
  if (shape === 24) return chance(rng, 0.5) ? { bid: null, ask: null } : crossed(rng, mid);
  return { bid, ask };
}

function crossed(rng: Rng, mid: number) {
  return {
    bid: { offsetTicks: mid + 2, pct: pct(rng), minPct: null },
    ask: { offsetTicks: mid - 2, pct: pct(rng), minPct: null },
  };
}

function action(rng: Rng, kind: ActionKind, id: number, plant: PlantKind | null): Action {
  const dt = int(rng, 1, 300);
  switch (kind) {
    case 'rfq.create':
      return {
        id,
        dt,
        kind,
        taker: rng.nextInt(64),
        structure: rng.nextInt(64),
        lots: chance(rng, 0.7) ? int(rng, 1, 10) : int(rng, 11, 60),
        expiresIn: chance(rng, 0.04)
          ? oneOf(rng, [3, 4, 86_401])
          : oneOf(rng, [5, 10, 20, 30, 45, 60, 90, 120, 180, 300]),
        makers: chance(rng, 0.7) ? 0 : int(rng, 1, 63),
        disclosed: chance(rng, 0.3),
        auto: chance(rng, 0.3)
          ? { side: side(rng), offsetTicks: int(rng, -10, 10), after: int(rng, 1, 60) }
          : null,
        copies: copies(rng),
      };
    case 'rfq.cancel':
      return {
        id,
        dt,
        kind,
        rfq: pick(rng),
        by: oneOf(rng, ['owner', 'owner', 'owner', 'admin', 'other-taker'] as const),
        copies: copies(rng),
      };
    case 'quote.submit':
      return {
        id,
        dt,
        kind,
        maker: rng.nextInt(64),
        rfq: pick(rng, 0.95),
        ...quoteSides(rng),
        validFor: chance(rng, 0.04)
          ? oneOf(rng, [0, 3_601])
          : oneOf(rng, [2, 5, 10, 20, 30, 60, 120, 300, 600]),
        copies: copies(rng),
      };
    case 'quote.replace':
      return {
        id,
        dt,
        kind,
        quote: pick(rng),
        ...quoteSides(rng),
        validFor: oneOf(rng, [1, 5, 10, 30, 60]),
        copies: copies(rng),
      };
    case 'quote.cancel':
      return {
        id,
        dt,
        kind,
        quote: pick(rng),
        by: chance(rng, 0.9) ? 'owner' : 'other-maker',
        copies: copies(rng),
      };
    case 'quote.cancel-all':
      return { id, dt, kind, maker: rng.nextInt(64), rfq: chance(rng, 0.5) ? pick(rng) : null };
    case 'accept':
      return {
        id,
        dt,
        kind,
        rfq: pick(rng),
        quote: pick(rng, 0.85),
        side: side(rng),
        pct: chance(rng, 0.4) ? null : pct(rng),
        by: chance(rng, 0.93) ? 'owner' : 'other-taker',
        copies: copies(rng),
      };
    case 'accept.race':
      return { id, dt, kind, rfq: pick(rng), quote: pick(rng), side: side(rng), racers: int(rng, 2, 6) };
    case 'execute': {
      const s = side(rng);
      // Limits mostly on the taker's generous side of the reference, so books do cross them.
      const limit = int(rng, -4, 16) * (s === 'BUY' ? 1 : -1);
      return {
        id,
        dt,
        kind,
        rfq: pick(rng),
        side: s,
        pct: pct(rng),
        limitOffsetTicks: chance(rng, 0.1) ? null : limit,
        allOrNone: chance(rng, 0.2),
        copies: copies(rng),
      };
    }
    case 'retry':
      return {
        id,
        dt,
        kind,
        request: rng.nextInt(1_000_000),
        changeBody: chance(rng, 0.15),
        copies: copies(rng),
      };
    case 'clock.advance': {
      const r = rng.nextFloat();
      const ms =
        r < 0.7 ? int(rng, 100, 2_000) : r < 0.95 ? int(rng, 2_000, 10_000) : int(rng, 10_000, 60_000);
      return { id, dt, kind, ms };
    }
    case 'timers.fire':
      return {
        id,
        dt,
        kind,
        dropPct: oneOf(rng, [0, 0, 10, 30]),
        dupPct: oneOf(rng, [0, 20, 50]),
        salt: rng.nextUint32(),
      };
    case 'rfq.expire':
      return { id, dt, kind, rfq: pick(rng, 0.7), copies: copies(rng) };
    case 'quote.expire':
      return { id, dt, kind, quote: pick(rng, 0.7), copies: copies(rng) };
    case 'auto-execute':
      return { id, dt, kind, rfq: pick(rng, 0.7), copies: copies(rng) };
    case 'sweep':
      return { id, dt, kind, engines: chance(rng, 0.3) ? 2 : 1 };
    case 'relay':
      return { id, dt, kind, relays: chance(rng, 0.3) ? int(rng, 2, 3) : 1 };
    case 'control': {
      const r = rng.nextFloat();
      const scope = r < 0.65 ? 'ACCOUNT' : r < 0.97 ? 'UNDERLYING' : 'PLATFORM';
      return { id, dt, kind, freeze: chance(rng, 0.4), scope, target: rng.nextInt(64) };
    }
    case 'sabotage':
      return { id, dt, kind, plant: plant ?? 'balance', n: rng.nextInt(1_000_000) };
  }
}

/** The whole history of a seed: the same list on every machine and every run. */
export function generateHistory(options: HistoryOptions): Action[] {
  const rng = createRng(options.seed);
  const plant = options.plant ?? null;
  const choose = chooser(plant ? [...WEIGHTS, ['sabotage', 1]] : WEIGHTS);
  const actions: Action[] = [];
  for (let id = 0; id < options.steps; id++) actions.push(action(rng, choose(rng), id, plant));
  return actions;
}

/** One line per action, for printing a (shrunk) history that can be read and replayed. */
export function describeAction(a: Action): string {
  const { id, dt, kind, ...rest } = a;
  return `#${id} +${dt}ms ${kind} ${JSON.stringify(rest)}`;
}
