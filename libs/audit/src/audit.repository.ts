import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL, runInTransaction } from '@app/db';
import type { Pool, PoolClient } from 'pg';
import { AuditContent, GENESIS_HASH, auditHash, toPlainJson } from './canonical.js';

export type AuditEntry = Omit<AuditContent, 'occurredAt'> & { occurredAt?: Date };

/** Serialises sealers (any number of engines may try; one seals at a time). */
const AUDIT_SEAL_LOCK = 7_402_001;
const SEAL_BATCH = 2_000;

export interface AuditRow extends AuditContent {
  seq: string;
  prevHash: string | null;
  hash: string | null;
}

export interface ChainBreak {
  seq: string;
  reason: string;
}

@Injectable()
export class AuditRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Appends inside the caller's transaction: the record exists if and only if the change commits.
   * It is hash-chained shortly after commit by `seal()`, so audited transactions never wait on
   * each other for the chain.
   */
  async append(client: PoolClient, entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const now = new Date();
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (const entry of entries) {
      const base = values.length;
      tuples.push(`(${Array.from({ length: 8 }, (_, i) => `$${base + i + 1}`).join(',')})`);
      values.push(
        entry.occurredAt ?? now,
        entry.actorId,
        entry.action,
        entry.entityType,
        entry.entityId,
        JSON.stringify(toPlainJson(entry.before)),
        JSON.stringify(toPlainJson(entry.after)),
        entry.correlationId,
      );
    }
    // Prepared once per connection and batch size.
    await client.query({
      name: `audit-append-${entries.length}`,
      text: `INSERT INTO audit_log (occurred_at, actor_id, action, entity_type, entity_id, before, after, correlation_id)
       VALUES ${tuples.join(',')}`,
      values,
    });
  }

  /**
   * Chains committed, unsealed records onto the head of the chain, in the order this sees them
   * (seq order within a batch). A record committed late simply joins the chain later: chain_seq,
   * not seq, is the chain's order. Returns how many records it sealed (0 when another sealer holds
   * the lock).
   */
  async seal(limit = SEAL_BATCH, wait = false): Promise<number> {
    return runInTransaction(this.pool, async (client) => {
      if (wait) await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_SEAL_LOCK]);
      else {
        const locked = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
          AUDIT_SEAL_LOCK,
        ]);
        if (!locked.rows[0]?.ok) return 0;
      }
      const { rows } = await client.query<RawRow>(
        `SELECT * FROM audit_log WHERE hash IS NULL ORDER BY seq LIMIT $1`,
        [limit],
      );
      if (rows.length === 0) return 0;
      const head = await client.query<{ hash: string; chain_seq: string }>(
        // bigint arrives as a string (see @app/db); a ::text cast here would make ORDER BY lexical.
        'SELECT hash, chain_seq FROM audit_log WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1',
      );
      let prev = head.rows[0]?.hash ?? GENESIS_HASH;
      let chainSeq = BigInt(head.rows[0]?.chain_seq ?? '0');
      const seqs: string[] = [];
      const prevs: string[] = [];
      const hashes: string[] = [];
      const chain: string[] = [];
      for (const row of rows) {
        const hash = auditHash(prev, contentOf(row));
        chainSeq += 1n;
        seqs.push(row.seq);
        prevs.push(prev);
        hashes.push(hash);
        chain.push(chainSeq.toString());
        prev = hash;
      }
      await client.query(
        `UPDATE audit_log a SET prev_hash = v.prev_hash, hash = v.hash, chain_seq = v.chain_seq
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) AS v(seq, prev_hash, hash, chain_seq)
          WHERE a.seq = v.seq`,
        [seqs, prevs, hashes, chain],
      );
      return rows.length;
    });
  }

  /**
   * Seals until nothing committed is left unsealed. Without `wait` it gives way at once to a
   * sealer already at work; with it, it queues behind that sealer and then finishes the job.
   */
  async sealAll(wait = false): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.seal(SEAL_BATCH, wait);
      total += n;
      if (n < SEAL_BATCH) return total;
    }
  }

  /** Pages through the log, newest first, with filters; `before` is the seq cursor. */
  async list(filter: {
    entityType?: string;
    entityId?: string;
    actorId?: string;
    action?: string;
    from?: Date;
    to?: Date;
    before?: string;
    limit: number;
  }) {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.entityType) where.push(`entity_type = $${params.push(filter.entityType)}`);
    if (filter.entityId) where.push(`entity_id = $${params.push(filter.entityId)}`);
    if (filter.actorId) where.push(`actor_id = $${params.push(filter.actorId)}::uuid`);
    if (filter.action) where.push(`action = $${params.push(filter.action)}`);
    if (filter.from) where.push(`occurred_at >= $${params.push(filter.from)}`);
    if (filter.to) where.push(`occurred_at < $${params.push(filter.to)}`);
    if (filter.before) where.push(`seq < $${params.push(filter.before)}`);
    const { rows } = await this.pool.query<Record<string, unknown>>(
      `SELECT seq::text, occurred_at, actor_id, action, entity_type, entity_id, before, after, correlation_id, prev_hash, hash
         FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY audit_log.seq DESC LIMIT $${params.push(filter.limit)}`,
      params,
    );
    return rows;
  }

  /**
   * Seals what is committed, then walks the whole chain in chain order, in pages, and names the
   * first broken record. Records still unsealed (committed during the walk) are counted apart.
   */
  async verify(
    pageSize = 5_000,
  ): Promise<{ ok: boolean; records: number; unsealed: number; firstBreak: ChainBreak | null }> {
    await this.sealAll(true);
    let prev = GENESIS_HASH;
    let after = '0';
    let records = 0;
    const unsealed = async () =>
      Number(
        (await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM audit_log WHERE hash IS NULL'))
          .rows[0]?.n ?? 0,
      );
    for (;;) {
      // bigint columns arrive as strings (see @app/db).
      const { rows } = await this.pool.query<RawRow & { chain_seq: string }>(
        'SELECT * FROM audit_log WHERE chain_seq > $1 ORDER BY chain_seq LIMIT $2',
        [after, pageSize],
      );
      if (rows.length === 0) return { ok: true, records, unsealed: await unsealed(), firstBreak: null };
      for (const row of rows) {
        records++;
        const broken = (reason: string) => ({
          ok: false,
          records,
          unsealed: 0,
          firstBreak: { seq: row.seq, reason },
        });
        if (row.prev_hash !== prev)
          return broken('prev_hash does not match the previous record (a record was removed or reordered)');
        if (auditHash(prev, contentOf(row)) !== row.hash)
          return broken('hash does not match the record content (the record was edited)');
        prev = row.hash;
        after = row.chain_seq;
      }
    }
  }
}

interface RawRow {
  seq: string;
  occurred_at: Date;
  actor_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string;
  before: unknown;
  after: unknown;
  correlation_id: string | null;
  prev_hash: string | null;
  hash: string | null;
}

function contentOf(row: RawRow): AuditContent {
  return {
    occurredAt: row.occurred_at,
    actorId: row.actor_id,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    before: row.before,
    after: row.after,
    correlationId: row.correlation_id,
  };
}
