import { Decimal, DomainError, dec } from '@app/core';
import type { ExecutionResponse } from '@app/auction';
import type { Actor, CreateRfqInput, QuoteSideInput, SubmitQuoteInput } from '@app/rfq';
import { createRng } from '@app/pricing';
import { Auditor, FrozenState, Violation } from './auditor.js';
import type { Action, Pick, QuoteSideSpec } from './history.js';
import { deliverTimer, SimWorld, Structure } from './world.js';

export interface SimStats {
  steps: number;
  rfqs: number;
  quotes: number;
  fills: number;
  executions: number;
  retriesReplayed: number;
  concurrentGroups: number;
  concurrentCalls: number;
  timersDelivered: number;
  duplicateDeliveries: number;
  timersLost: number;
  sweeps: number;
  relayed: number;
  invariantChecks: number;
  auditorRuns: number;
  ledgerChecks: number;
  chainVerifications: number;
  simulatedSeconds: number;
  rejections: Record<string, number>;
}

export interface RunFailure {
  index: number;
  action: Action;
  violations: Violation[];
}

export interface RunResult {
  outcomes: string[];
  failure: RunFailure | null;
  stats: SimStats;
}

export interface RunOptions {
  progressEvery?: number;
  log?: (line: string) => void;
  label?: string;
  /** LedgerCheckService.run() every this many steps (and at the end). */
  ledgerEvery?: number;
  /** AuditRepository.verify() every this many steps (and at the end). */
  chainEvery?: number;
  stepTimeoutMs?: number;
}

interface RfqRec {
  id: string;
  label: number;
  taker: number;
  structure: Structure;
  lots: number;
  quantity: Decimal;
  routed: Set<number> | null;
  input: CreateRfqInput;
}

interface QuoteRec {
  id: string;
  label: number;
  rfq: RfqRec;
  maker: number;
}

interface RequestRec {
  kind: 'accept' | 'execute' | 'rfq.create' | 'quote.submit';
  /** Sends the request again, with the same key and body or (changed) a different body. */
  send: (changed: boolean) => Promise<string>;
  first: string;
  /** Whether the first answer was kept under the key (a replay must then be identical). */
  stored: boolean;
}

class Mismatch extends Error {}

const LIVE_RFQ = new Set(['OPEN', 'PARTIALLY_FILLED']);

/** Executes a history against a world, auditing every invariant after every step. */
export class SimRunner {
  private readonly rfqs: RfqRec[] = [];
  private readonly quotes: QuoteRec[] = [];
  private readonly requests: RequestRec[] = [];
  private readonly frozen = new Map<
    string,
    { scope: 'ACCOUNT' | 'UNDERLYING' | 'PLATFORM'; target: string }
  >();
  private readonly auditor: Auditor;
  private readonly stats: SimStats = {
    steps: 0,
    rfqs: 0,
    quotes: 0,
    fills: 0,
    executions: 0,
    retriesReplayed: 0,
    concurrentGroups: 0,
    concurrentCalls: 0,
    timersDelivered: 0,
    duplicateDeliveries: 0,
    timersLost: 0,
    sweeps: 0,
    relayed: 0,
    invariantChecks: 0,
    auditorRuns: 0,
    ledgerChecks: 0,
    chainVerifications: 0,
    simulatedSeconds: 0,
    rejections: {},
  };
  /** Violations found by the step itself (in-process oracles), added to the auditor's. */
  private pending: Violation[] = [];

  constructor(private readonly world: SimWorld) {
    this.auditor = new Auditor(world.auditPool);
  }

  async run(actions: Action[], options: RunOptions = {}): Promise<RunResult> {
    const log = options.log ?? (() => undefined);
    const started = this.world.clock.epochMs;
    const outcomes: string[] = [];
    let failure: RunFailure | null = null;
    for (const [index, action] of actions.entries()) {
      this.world.clock.advance(action.dt);
      this.pending = [];
      let outcome: string;
      try {
        outcome = await withTimeout(this.step(action), options.stepTimeoutMs ?? 30_000);
      } catch (error) {
        outcome = `crash ${describeError(error)}`;
        this.pending.push({
          check: 'unexpected-error',
          detail: `${action.kind}: ${describeError(error, true)}`,
        });
      }
      outcomes.push(outcome);
      this.stats.steps++;
      const violations = [
        ...this.pending,
        ...(await this.auditor.check(this.world.clock.now(), this.frozenState())),
      ];
      const last = index === actions.length - 1;
      if (
        violations.length === 0 &&
        options.ledgerEvery &&
        ((index + 1) % options.ledgerEvery === 0 || last)
      ) {
        this.stats.ledgerChecks++;
        const report = await this.world.ledger.run();
        for (const p of report.problems)
          violations.push({
            check: `ledger-check:${p.check}`,
            detail: `${p.message}: ${JSON.stringify(p.rows[0])}`,
          });
      }
      if (violations.length === 0 && options.chainEvery && ((index + 1) % options.chainEvery === 0 || last)) {
        this.stats.chainVerifications++;
        const chain = await this.world.audit.verify();
        if (!chain.ok)
          violations.push({
            check: 'audit-chain',
            detail: `${chain.firstBreak?.seq}: ${chain.firstBreak?.reason}`,
          });
      }
      if (violations.length > 0) {
        failure = { index, action, violations };
        log(`[${options.label ?? 'sim'}] step ${index + 1}: VIOLATION after ${action.kind} (${outcome})`);
        break;
      }
      if (options.progressEvery && (index + 1) % options.progressEvery === 0) {
        const counts = await this.counts();
        log(
          `[${options.label ?? 'sim'}] step ${index + 1}/${actions.length} rfqs=${counts.rfqs} quotes=${counts.quotes} ` +
            `fills=${counts.fills} t=+${((this.world.clock.epochMs - started) / 1000).toFixed(1)}s ` +
            `checks=${this.auditor.stats.checks} ok`,
        );
      }
    }
    const counts = await this.counts();
    this.stats.rfqs = counts.rfqs;
    this.stats.quotes = counts.quotes;
    this.stats.fills = counts.fills;
    this.stats.executions = counts.executions;
    this.stats.invariantChecks = this.auditor.stats.checks;
    this.stats.auditorRuns = this.auditor.stats.runs;
    this.stats.simulatedSeconds = (this.world.clock.epochMs - started) / 1000;
    return { outcomes, failure, stats: this.stats };
  }

  private async counts() {
    const { rows } = await this.world.pool.query<{
      rfqs: number;
      quotes: number;
      fills: number;
      executions: number;
    }>(
      `SELECT (SELECT count(*)::int FROM rfqs) AS rfqs, (SELECT count(*)::int FROM quotes) AS quotes,
              (SELECT count(*)::int FROM fills) AS fills, (SELECT count(DISTINCT execution_id)::int FROM fills) AS executions`,
    );
    return rows[0]!;
  }

  private frozenState(): FrozenState {
    const state: FrozenState = { platform: false, accounts: [], underlyings: [] };
    for (const c of this.frozen.values()) {
      if (c.scope === 'PLATFORM') state.platform = true;
      else if (c.scope === 'ACCOUNT') state.accounts.push(c.target);
      else state.underlyings.push(c.target);
    }
    return state;
  }

  private violation(check: string, detail: string): void {
    this.pending.push({ check, detail });
  }

  private reject(code: string): string {
    this.stats.rejections[code] = (this.stats.rejections[code] ?? 0) + 1;
    return code;
  }

  /** Runs `fn`, turning a domain rejection into its code; anything else is a finding. */
  private async attempt(fn: () => Promise<string>): Promise<string> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof Mismatch) throw error;
      if (error instanceof DomainError) {
        if (error.kind === 'unavailable')
          this.violation('service-unavailable', `${error.code}: ${error.message}`);
        return this.reject(error.code);
      }
      throw error;
    }
  }

  /** The same call several times at once, or once. Outcomes are sorted: their order is a race. */
  private async copies(n: number, fn: (i: number) => Promise<string>): Promise<string[]> {
    if (n <= 1) return [await this.attempt(() => fn(0))];
    this.stats.concurrentGroups++;
    this.stats.concurrentCalls += n;
    // allSettled: a crash of one call must not end the step while the others are still running.
    const settled = await Promise.allSettled(Array.from({ length: n }, (_, i) => this.attempt(() => fn(i))));
    const crashed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (crashed) throw crashed.reason;
    return settled.map((s) => (s as PromiseFulfilledResult<string>).value);
  }

  private summarise(results: string[]): string {
    if (results.length === 1) return results[0]!;
    const counts = new Map<string, number>();
    for (const r of results) counts.set(r, (counts.get(r) ?? 0) + 1);
    return `[${[...counts.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([r, c]) => (c > 1 ? `${c}x ${r}` : r))
      .join(', ')}]`;
  }

  // ---- picking targets ------------------------------------------------------------------------

  private async rfqStates(): Promise<Map<string, { state: string; expiresAt: Date; filled: Decimal }>> {
    const { rows } = await this.world.pool.query<{
      id: string;
      state: string;
      expires_at: Date;
      filled_quantity: string;
    }>('SELECT id, state, expires_at, filled_quantity FROM rfqs');
    return new Map(
      rows.map((r) => [r.id, { state: r.state, expiresAt: r.expires_at, filled: dec(r.filled_quantity) }]),
    );
  }

  private async pickRfq(p: Pick): Promise<RfqRec | null> {
    if (this.rfqs.length === 0) return null;
    let candidates = this.rfqs;
    if (p.live) {
      const states = await this.rfqStates();
      const now = this.world.clock.now();
      const live = this.rfqs.filter((r) => {
        const s = states.get(r.id);
        return s && LIVE_RFQ.has(s.state) && s.expiresAt > now;
      });
      if (live.length > 0) candidates = live;
    }
    return candidates[p.n % candidates.length]!;
  }

  private async quoteRows(ids: string[]) {
    const { rows } = await this.world.pool.query<{
      id: string;
      state: string;
      valid_until: Date;
      bid_quantity: string | null;
      bid_filled: string;
      ask_quantity: string | null;
      ask_filled: string;
    }>(
      'SELECT id, state, valid_until, bid_quantity, bid_filled, ask_quantity, ask_filled FROM quotes WHERE id = ANY($1::uuid[])',
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r]));
  }

  private async pickQuote(p: Pick, rfq?: RfqRec): Promise<QuoteRec | null> {
    let candidates = rfq ? this.quotes.filter((q) => q.rfq === rfq) : this.quotes;
    if (candidates.length === 0) candidates = this.quotes;
    if (candidates.length === 0) return null;
    if (p.live) {
      const rows = await this.quoteRows(candidates.map((q) => q.id));
      const now = this.world.clock.now();
      const live = candidates.filter((q) => {
        const r = rows.get(q.id);
        return r && r.state === 'LIVE' && r.valid_until > now;
      });
      if (live.length > 0) candidates = live;
    }
    return candidates[p.n % candidates.length]!;
  }

  private price(s: Structure, offsetTicks: number): Decimal {
    return s.ref.plus(s.tick.mul(offsetTicks));
  }

  private lotsOf(total: Decimal, lot: Decimal): number {
    return total.div(lot).floor().toNumber();
  }

  private sides(rfq: RfqRec, bid: QuoteSideSpec | null, ask: QuoteSideSpec | null) {
    const side = (spec: QuoteSideSpec | null): QuoteSideInput | null => {
      if (!spec) return null;
      const lots = Math.max(1, Math.ceil((rfq.lots * spec.pct) / 100));
      const min = spec.minPct === null ? null : Math.max(1, Math.ceil((lots * spec.minPct) / 100));
      return {
        price: this.price(rfq.structure, spec.offsetTicks),
        quantity: rfq.structure.lot.mul(lots),
        minQuantity: min === null ? null : rfq.structure.lot.mul(min),
      };
    };
    return { bid: side(bid), ask: side(ask) };
  }

  private actorFor(kind: 'taker' | 'maker', n: number): Actor & { name: string } {
    const list = kind === 'taker' ? this.world.takers : this.world.makers;
    return list[n % list.length]!;
  }

  // ---- the actions ----------------------------------------------------------------------------

  private async step(a: Action): Promise<string> {
    switch (a.kind) {
      case 'rfq.create':
        return this.createRfq(a);
      case 'rfq.cancel': {
        const rfq = await this.pickRfq(a.rfq);
        if (!rfq) return 'skip';
        const owner = this.actorFor('taker', rfq.taker);
        const actor =
          a.by === 'admin'
            ? this.world.admin
            : a.by === 'owner'
              ? owner
              : this.actorFor('taker', rfq.taker + 1 + (a.id % (this.world.takers.length - 1)));
        const results = await this.copies(a.copies, async () => {
          await this.world.rfqs.cancel(actor, rfq.id);
          return 'ok';
        });
        this.atMostOne(results, 'rfq.cancel');
        if (a.by === 'other-taker' && results.includes('ok'))
          this.violation('tenancy', `taker ${actor.accountId} cancelled rfq ${rfq.id} of another taker`);
        return this.summarise(results);
      }
      case 'quote.submit':
        return this.submitQuote(a);
      case 'quote.replace': {
        const quote = await this.pickQuote(a.quote);
        if (!quote) return 'skip';
        const maker = this.actorFor('maker', quote.maker);
        const sides = this.sides(quote.rfq, a.bid, a.ask);
        const created: string[] = [];
        const results = await this.copies(a.copies, async (i) => {
          const q = await this.world.quotes.replace(maker, quote.id, {
            ...sides,
            validForSeconds: a.validFor,
            clientQuoteId: `q${a.id}r${i}`,
          });
          created.push(q.id);
          return 'ok';
        });
        this.atMostOne(results, 'quote.replace');
        for (const id of created)
          this.quotes.push({ id, label: this.quotes.length, rfq: quote.rfq, maker: quote.maker });
        return this.summarise(results);
      }
      case 'quote.cancel': {
        const quote = await this.pickQuote(a.quote);
        if (!quote) return 'skip';
        const actor =
          a.by === 'owner'
            ? this.actorFor('maker', quote.maker)
            : this.actorFor('maker', quote.maker + 1 + (a.id % (this.world.makers.length - 1)));
        const results = await this.copies(a.copies, async () => {
          await this.world.quotes.cancel(actor, quote.id);
          return 'ok';
        });
        this.atMostOne(results, 'quote.cancel');
        if (a.by === 'other-maker' && results.includes('ok'))
          this.violation('tenancy', `maker ${actor.accountId} cancelled quote ${quote.id} of another maker`);
        return this.summarise(results);
      }
      case 'quote.cancel-all': {
        const maker = this.actorFor('maker', a.maker);
        const rfq = a.rfq ? await this.pickRfq(a.rfq) : null;
        return this.attempt(async () => {
          const cancelled = await this.world.quotes.cancelAll(maker, {
            rfqId: rfq?.id,
            reason: 'sim cancel all',
          });
          return `ok cancelled=${cancelled.length}`;
        });
      }
      case 'accept':
        return this.accept(a);
      case 'accept.race': {
        const rfq = await this.pickRfq(a.rfq);
        if (!rfq) return 'skip';
        const quote = await this.pickQuote(a.quote, rfq);
        if (!quote) return 'skip';
        const taker = this.actorFor('taker', rfq.taker);
        const results = await this.copies(a.racers, async (i) => {
          const res = await this.world.auction.accept(
            taker,
            rfq.id,
            { quoteId: quote.id, side: a.side },
            `a${a.id}-${i}`,
          );
          return `ok filled=${res.body.filledQuantity}`;
        });
        this.atMostOne(results, 'accept.race');
        return this.summarise(results);
      }
      case 'execute':
        return this.execute(a);
      case 'retry': {
        if (this.requests.length === 0) return 'skip';
        const request = this.requests[a.request % this.requests.length]!;
        const results = await this.copies(a.copies, () => request.send(a.changeBody));
        for (const r of results) {
          if (request.kind === 'rfq.create' || request.kind === 'quote.submit') {
            // Refusals are tolerated (a retry meets today's gates and validation again); a second
            // entity, or a changed body taken as the same request, is not.
            if (r.startsWith('other'))
              this.violation('idempotency-client-id', `${request.kind} retry returned ${r}`);
            else if (a.changeBody && r === 'ok')
              this.violation(
                'idempotency-client-id',
                `${request.kind} with a changed body returned the original`,
              );
            else if (r === 'ok') this.stats.retriesReplayed++;
            continue;
          }
          if (!request.stored) continue;
          if (a.changeBody) {
            const expected = 'IDEMPOTENCY.KEY_REUSED';
            if (r !== expected)
              this.violation(
                'idempotency-key-reuse',
                `${request.kind} with a changed body answered ${r}, expected ${expected}`,
              );
          } else if (r !== request.first) {
            this.violation(
              'idempotency-replay',
              `${request.kind} retried: ${r}, first answer was ${request.first}`,
            );
          } else {
            this.stats.retriesReplayed++;
          }
        }
        return `${request.kind} ${a.changeBody ? 'changed ' : ''}${this.summarise(results.map(short))}`;
      }
      case 'clock.advance':
        this.world.clock.advance(a.ms);
        return `t+${a.ms}ms`;
      case 'timers.fire':
        return this.fireTimers(a);
      case 'rfq.expire': {
        const rfq = await this.pickRfq(a.rfq);
        if (!rfq) return 'skip';
        const results = await this.copies(a.copies, async () => {
          await this.world.rfqs.expire(rfq.id);
          return 'ok';
        });
        return `${this.summarise(results)} ${(await this.rfqStates()).get(rfq.id)?.state}`;
      }
      case 'quote.expire': {
        const quote = await this.pickQuote(a.quote);
        if (!quote) return 'skip';
        const results = await this.copies(a.copies, async () => {
          await this.world.quotes.expire(quote.id);
          return 'ok';
        });
        const row = (await this.quoteRows([quote.id])).get(quote.id);
        return `${this.summarise(results)} ${row?.state}`;
      }
      case 'auto-execute': {
        const rfq = await this.pickRfq(a.rfq);
        if (!rfq) return 'skip';
        const results = await this.copies(a.copies, async () =>
          this.autoOutcome(await this.world.auction.autoExecute(rfq.id)),
        );
        this.sameExecution(results, 'auto-execute');
        return this.summarise(results.map((r) => r.replace(/ [0-9a-f-]{36}/, '')));
      }
      case 'sweep': {
        const now = this.world.clock.now();
        const results = await Promise.all(
          Array.from({ length: a.engines }, () => this.world.sweeper.sweep(now)),
        );
        this.stats.sweeps += a.engines;
        this.pending.push(...(await this.auditor.afterSweep(now)));
        return `swept x${results.length}`;
      }
      case 'relay': {
        const counts = await Promise.all(Array.from({ length: a.relays }, () => this.world.relay.drain()));
        const total = counts.reduce((s, n) => s + n, 0);
        this.stats.relayed += total;
        const queued = await this.world.eventsQueue.getJobCountByTypes(
          'waiting',
          'delayed',
          'prioritized',
          'active',
          'completed',
          'failed',
        );
        this.pending.push(...(await this.auditor.afterRelay(queued)));
        return `relayed ${total} by ${a.relays}`;
      }
      case 'control':
        return this.control(a);
      case 'sabotage':
        return this.sabotage(a);
    }
  }

  private atMostOne(results: string[], what: string): void {
    const ok = results.filter((r) => r.startsWith('ok'));
    if (ok.length > 1)
      this.violation('race', `${ok.length} of ${results.length} concurrent ${what} succeeded`);
  }

  /** Concurrent deliveries with one key: every success must be the same execution. */
  private sameExecution(results: string[], what: string): void {
    const executions = new Set(results.filter((r) => r.startsWith('ok')).map((r) => r.split(' ')[1]));
    if (executions.size > 1)
      this.violation(
        'idempotency-concurrent',
        `${what}: ${executions.size} different executions for one key`,
      );
  }

  private autoOutcome(res: ExecutionResponse | null): string {
    if (!res) return 'none';
    return `ok ${res.body.executionId} filled=${res.body.filledQuantity}`;
  }

  private async createRfq(a: Extract<Action, { kind: 'rfq.create' }>): Promise<string> {
    const structure = this.world.structures[a.structure % this.world.structures.length]!;
    const taker = this.actorFor('taker', a.taker);
    const routed =
      a.makers === 0 ? null : new Set(this.world.makers.map((_, i) => i).filter((i) => (a.makers >> i) & 1));
    const input: CreateRfqInput = {
      clientRfqId: `r${a.id}`,
      legs: structure.legs,
      quantity: structure.lot.mul(a.lots),
      expiresInSeconds: a.expiresIn,
      makers: routed ? [...routed].map((i) => this.world.makers[i]!.name) : undefined,
      disclosed: a.disclosed,
      autoExecute: a.auto
        ? {
            side: a.auto.side,
            limitPrice: this.price(structure, a.auto.offsetTicks),
            afterSeconds: Math.min(a.auto.after, Math.max(1, a.expiresIn - 1)),
          }
        : undefined,
    };
    const ids: string[] = [];
    let created = 0;
    const results = await this.copies(a.copies, async () => {
      const res = await this.world.rfqs.create(taker, input);
      ids.push(res.rfq.id);
      if (res.created) created++;
      return 'ok';
    });
    if (new Set(ids).size > 1)
      this.violation('idempotency-rfq', `one clientRfqId created ${new Set(ids).size} RFQs`);
    if (ids.length > 0 && created !== 1)
      this.violation('idempotency-rfq', `${created} creations reported for one clientRfqId`);
    const id = ids[0];
    if (id) {
      const rec: RfqRec = {
        id,
        label: this.rfqs.length,
        taker: a.taker % this.world.takers.length,
        structure,
        lots: a.lots,
        quantity: input.quantity,
        routed,
        input,
      };
      this.rfqs.push(rec);
      this.requests.push({
        kind: 'rfq.create',
        first: 'ok',
        stored: true,
        send: async (changed) => {
          const res = await this.world.rfqs.create(
            taker,
            changed ? { ...input, quantity: input.quantity.mul(2) } : input,
          );
          if (res.created) this.violation('idempotency-rfq', `a retried clientRfqId created a second RFQ`);
          return res.rfq.id === id ? 'ok' : `other rfq`;
        },
      });
    }
    return this.summarise(results);
  }

  private async submitQuote(a: Extract<Action, { kind: 'quote.submit' }>): Promise<string> {
    const rfq = await this.pickRfq(a.rfq);
    if (!rfq) return 'skip';
    // Mostly a maker the RFQ is routed to; sometimes one it is not (which must be refused).
    const routed = rfq.routed ? [...rfq.routed] : null;
    const makerIndex =
      routed && routed.length > 0 && a.maker % 5 !== 0
        ? routed[a.maker % routed.length]!
        : a.maker % this.world.makers.length;
    const maker = this.actorFor('maker', makerIndex);
    const input: SubmitQuoteInput = {
      rfqId: rfq.id,
      clientQuoteId: `q${a.id}`,
      ...this.sides(rfq, a.bid, a.ask),
      validForSeconds: a.validFor,
    };
    const ids: string[] = [];
    let created = 0;
    const results = await this.copies(a.copies, async () => {
      const res = await this.world.quotes.submit(maker, input);
      ids.push(res.quote.id);
      if (res.created) created++;
      return 'ok';
    });
    if (new Set(ids).size > 1)
      this.violation('idempotency-quote', `one clientQuoteId created ${new Set(ids).size} quotes`);
    if (ids.length > 0 && created !== 1)
      this.violation('idempotency-quote', `${created} creations reported for one clientQuoteId`);
    if (rfq.routed && !rfq.routed.has(makerIndex) && ids.length > 0)
      this.violation('tenancy', `maker ${maker.name} quoted on rfq ${rfq.id} not routed to it`);
    const id = ids[0];
    if (id) {
      this.quotes.push({ id, label: this.quotes.length, rfq, maker: makerIndex });
      this.requests.push({
        kind: 'quote.submit',
        first: 'ok',
        stored: true,
        send: async (changed) => {
          const tick = rfq.structure.tick;
          const res = await this.world.quotes.submit(
            maker,
            !changed
              ? input
              : input.ask
                ? { ...input, ask: { ...input.ask, price: input.ask.price.plus(tick) } }
                : input.bid
                  ? { ...input, bid: { ...input.bid, price: input.bid.price.minus(tick) } }
                  : input,
          );
          if (res.created)
            this.violation('idempotency-quote', `a retried clientQuoteId created a second quote`);
          return res.quote.id === id ? 'ok' : 'other quote';
        },
      });
    }
    return this.summarise(results);
  }

  /** An execution's answer in a form that is equal for equal answers (ids included). */
  private executionOutcome(res: ExecutionResponse): string {
    return `ok ${JSON.stringify(res.body)}`;
  }

  private async keyed(
    kind: 'accept' | 'execute',
    taker: Actor,
    key: string,
    copies: number,
    call: (changed: boolean) => Promise<ExecutionResponse>,
  ): Promise<string> {
    const replayedFlags: boolean[] = [];
    const results = await this.copies(copies, async () => {
      const res = await call(false);
      replayedFlags.push(res.replayed);
      return this.executionOutcome(res);
    });
    const distinct = new Set(results.filter((r) => r !== 'SERVICE.UNAVAILABLE'));
    if (distinct.size > 1)
      this.violation(
        'idempotency-concurrent',
        `${copies} concurrent ${kind} with key ${key} answered ${[...distinct].map(short).join(' / ')}`,
      );
    if (replayedFlags.filter((r) => !r).length > 1)
      this.violation(
        'idempotency-concurrent',
        `${kind} key ${key} executed ${replayedFlags.filter((r) => !r).length} times`,
      );
    const stored =
      (
        await this.world.pool.query('SELECT 1 FROM idempotency_records WHERE account_id = $1 AND key = $2', [
          taker.accountId,
          key,
        ])
      ).rowCount === 1;
    const first = results[0]!;
    this.requests.push({
      kind,
      first,
      stored,
      send: async (changed) => {
        const res = await call(changed);
        if (!changed && !res.replayed) this.violation('idempotency-replay', `${kind} key ${key} ran again`);
        return this.executionOutcome(res);
      },
    });
    return this.summarise(results.map(short));
  }

  private async accept(a: Extract<Action, { kind: 'accept' }>): Promise<string> {
    const rfq = await this.pickRfq(a.rfq);
    if (!rfq) return 'skip';
    const quote = await this.pickQuote(a.quote, rfq);
    if (!quote) return 'skip';
    const taker =
      a.by === 'owner'
        ? this.actorFor('taker', rfq.taker)
        : this.actorFor('taker', rfq.taker + 1 + (a.id % (this.world.takers.length - 1)));
    let quantity: Decimal | undefined;
    if (a.pct !== null) {
      const row = (await this.quoteRows([quote.id])).get(quote.id);
      const [q, f] =
        a.side === 'BUY' ? [row?.ask_quantity, row?.ask_filled] : [row?.bid_quantity, row?.bid_filled];
      const remaining = q ? dec(q).minus(dec(f ?? '0')) : rfq.quantity;
      const lots = Math.max(1, Math.ceil((this.lotsOf(remaining, rfq.structure.lot) * a.pct) / 100));
      quantity = rfq.structure.lot.mul(lots);
    }
    const key = `a${a.id}`;
    const outcome = await this.keyed('accept', taker, key, a.copies, (changed) =>
      this.world.auction.accept(
        taker,
        rfq.id,
        { quoteId: quote.id, side: changed ? (a.side === 'BUY' ? 'SELL' : 'BUY') : a.side, quantity },
        key,
      ),
    );
    if (a.by === 'other-taker' && outcome.startsWith('ok'))
      this.violation('tenancy', `taker ${taker.accountId} accepted on rfq ${rfq.id} of another taker`);
    return outcome;
  }

  private async execute(a: Extract<Action, { kind: 'execute' }>): Promise<string> {
    const rfq = await this.pickRfq(a.rfq);
    if (!rfq) return 'skip';
    const taker = this.actorFor('taker', rfq.taker);
    const state = (await this.rfqStates()).get(rfq.id);
    const remaining = rfq.quantity.minus(state?.filled ?? 0);
    const lots = Math.max(1, Math.ceil((this.lotsOf(remaining, rfq.structure.lot) * a.pct) / 100));
    const quantity = rfq.structure.lot.mul(lots);
    const limitPrice = a.limitOffsetTicks === null ? null : this.price(rfq.structure, a.limitOffsetTicks);
    const key = `e${a.id}`;
    return this.keyed('execute', taker, key, a.copies, (changed) =>
      this.world.auction.execute(
        taker,
        rfq.id,
        {
          side: a.side,
          quantity: changed ? quantity.plus(rfq.structure.lot) : quantity,
          limitPrice,
          allOrNone: a.allOrNone,
        },
        key,
      ),
    );
  }

  private async fireTimers(a: Extract<Action, { kind: 'timers.fire' }>): Promise<string> {
    const rng = createRng(a.salt);
    const now = this.world.clock.now();
    const due = this.world.timers
      .filter((t) => !t.delivered && !t.lost && t.at <= now)
      .sort((x, y) => x.at.getTime() - y.at.getTime() || x.seq - y.seq);
    let delivered = 0;
    let dups = 0;
    let lost = 0;
    for (const t of due) {
      if (rng.nextInt(100) < a.dropPct) {
        // A job lost with Redis: only the sweeper can still handle it.
        t.lost = true;
        lost++;
        continue;
      }
      t.delivered = true;
      const times = rng.nextInt(100) < a.dupPct ? 2 : 1;
      const concurrent = rng.nextInt(2) === 0;
      delivered++;
      dups += times - 1;
      const deliver = () =>
        this.attempt(async () => {
          await deliverTimer(this.world, t.job);
          return 'ok';
        });
      if (concurrent && times > 1) await Promise.all([deliver(), deliver()]);
      else for (let i = 0; i < times; i++) await deliver();
    }
    this.stats.timersDelivered += delivered;
    this.stats.duplicateDeliveries += dups;
    this.stats.timersLost += lost;
    return `timers delivered=${delivered} duplicated=${dups} lost=${lost}`;
  }

  private async control(a: Extract<Action, { kind: 'control' }>): Promise<string> {
    if (!a.freeze) {
      const current = [...this.frozen.entries()].sort(([x], [y]) => (x < y ? -1 : 1));
      if (current.length === 0) return 'skip';
      const [key, c] = current[a.target % current.length]!;
      return this.attempt(async () => {
        await this.world.controls.set(
          { scope: c.scope, target: c.target, frozen: false, reason: 'sim', until: null },
          this.world.admin.accountId,
          null,
        );
        this.frozen.delete(key);
        return `unfroze ${c.scope}`;
      });
    }
    const accounts = [...this.world.takers, ...this.world.makers];
    const account = accounts[a.target % accounts.length]!;
    const target =
      a.scope === 'PLATFORM'
        ? ''
        : a.scope === 'UNDERLYING'
          ? ['BTC', 'ETH'][a.target % 2]!
          : account.accountId;
    // Keyed by name, not id: ids differ between databases, and the unfreeze pick must not.
    const label = a.scope === 'ACCOUNT' ? account.name : target;
    return this.attempt(async () => {
      await this.world.controls.set(
        { scope: a.scope, target, frozen: true, reason: 'sim', until: null },
        this.world.admin.accountId,
        null,
      );
      this.frozen.set(`${a.scope}:${label}`, { scope: a.scope, target });
      if (a.scope === 'ACCOUNT' && this.world.makers.some((m) => m.accountId === target)) {
        await this.world.quotes.cancelAll(
          { accountId: target, role: 'MAKER', correlationId: null },
          { reason: 'account frozen' },
        );
      }
      return `froze ${a.scope}`;
    });
  }

  private async sabotage(a: Extract<Action, { kind: 'sabotage' }>): Promise<string> {
    if (a.plant === 'balance') {
      const { rows } = await this.world.pool.query<{ account_id: string }>(
        `SELECT b.account_id FROM balances b JOIN accounts a ON a.id = b.account_id ORDER BY a.name`,
      );
      const row = rows[a.n % Math.max(1, rows.length)];
      if (!row) return 'skip';
      await this.world.pool.query(
        `UPDATE balances SET amount = amount + 0.01 WHERE account_id = $1 AND asset_code = 'USDC'`,
        [row.account_id],
      );
      return 'sabotaged a balance';
    }
    const filled = await this.quoteRows(this.quotes.map((q) => q.id));
    const target = this.quotes.filter((q) => filled.get(q.id)?.state === 'FILLED');
    const q = target[a.n % Math.max(1, target.length)];
    if (!q) return 'skip';
    await this.world.pool.query(`UPDATE quotes SET state = 'LIVE', closed_at = NULL WHERE id = $1`, [q.id]);
    return 'sabotaged a quote';
  }
}

function short(outcome: string): string {
  if (!outcome.startsWith('ok {')) return outcome;
  try {
    const body = JSON.parse(outcome.slice(3)) as { filledQuantity?: string; rfqState?: string };
    return `ok filled=${body.filledQuantity} rfq=${body.rfqState}`;
  } catch {
    return outcome;
  }
}

function describeError(error: unknown, stack = false): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const head = `${error.name}${typeof code === 'string' ? ` ${code}` : ''}: ${error.message}`;
  return stack ? `${head}\n${error.stack?.split('\n').slice(1, 4).join('\n')}` : head;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`step did not finish within ${ms} ms (hang)`)), ms);
    }),
  ]);
}
