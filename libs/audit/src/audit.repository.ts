import { Inject, Injectable } from '@nestjs/common';
import { PG_POOL } from '@app/db';
import type { Pool, PoolClient } from 'pg';
import { AuditContent, GENESIS_HASH, auditHash, toPlainJson } from './canonical.js';

export type AuditEntry = Omit<AuditContent, 'occurredAt'> & { occurredAt?: Date };

/** One advisory lock serialises appends so that seq order is chain order. */
const AUDIT_CHAIN_LOCK = 7_402_001;

export interface AuditRow extends AuditContent {
  seq: string;
  prevHash: string;
  hash: string;
}

export interface ChainBreak {
  seq: string;
  reason: string;
}

@Injectable()
export class AuditRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  /**
   * Appends inside the caller's transaction. The chain lock is held until that transaction ends,
   * so callers append last, just before commit, to keep the serialised part short.
   */
  async append(client: PoolClient, entries: AuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await client.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
    const head = await client.query<{ hash: string }>(
      'SELECT hash FROM audit_log ORDER BY audit_log.seq DESC LIMIT 1',
    );
    let prev = head.rows[0]?.hash ?? GENESIS_HASH;
    const now = new Date();
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (const entry of entries) {
      const content: AuditContent = {
        ...entry,
        occurredAt: entry.occurredAt ?? now,
        before: toPlainJson(entry.before),
        after: toPlainJson(entry.after),
      };
      const hash = auditHash(prev, content);
      const base = values.length;
      tuples.push(`(${Array.from({ length: 10 }, (_, i) => `$${base + i + 1}`).join(',')})`);
      values.push(
        content.occurredAt,
        content.actorId,
        content.action,
        content.entityType,
        content.entityId,
        JSON.stringify(content.before),
        JSON.stringify(content.after),
        content.correlationId,
        prev,
        hash,
      );
      prev = hash;
    }
    await client.query(
      `INSERT INTO audit_log (occurred_at, actor_id, action, entity_type, entity_id, before, after, correlation_id, prev_hash, hash)
       VALUES ${tuples.join(',')}`,
      values,
    );
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

  /** Walks the whole chain in seq order, in pages, and names the first broken record. */
  async verify(pageSize = 5_000): Promise<{ ok: boolean; records: number; firstBreak: ChainBreak | null }> {
    let prev = GENESIS_HASH;
    let after = '0';
    let records = 0;
    for (;;) {
      const { rows } = await this.pool.query<{
        seq: string;
        occurred_at: Date;
        actor_id: string | null;
        action: string;
        entity_type: string;
        entity_id: string;
        before: unknown;
        after: unknown;
        correlation_id: string | null;
        prev_hash: string;
        hash: string;
      }>('SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2', [after, pageSize]);
      if (rows.length === 0) return { ok: true, records, firstBreak: null };
      for (const row of rows) {
        records++;
        if (row.prev_hash !== prev) {
          return {
            ok: false,
            records,
            firstBreak: {
              seq: row.seq,
              reason: 'prev_hash does not match the previous record (a record was removed or reordered)',
            },
          };
        }
        const expected = auditHash(prev, {
          occurredAt: row.occurred_at,
          actorId: row.actor_id,
          action: row.action,
          entityType: row.entity_type,
          entityId: row.entity_id,
          before: row.before,
          after: row.after,
          correlationId: row.correlation_id,
        });
        if (expected !== row.hash) {
          return {
            ok: false,
            records,
            firstBreak: {
              seq: row.seq,
              reason: 'hash does not match the record content (the record was edited)',
            },
          };
        }
        prev = row.hash;
        after = row.seq;
      }
    }
  }
}
