import { createHash } from 'node:crypto';

/**
 * Canonical serialisation for hashing: keys sorted at every level, no whitespace, dates as ISO
 * strings, and any other non-JSON value (decimals) through its `toString()`. The same value read
 * back from jsonb serialises to the same string.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      return JSON.stringify(Number.isFinite(value) ? value : String(value));
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'object': {
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function' || isDecimalLike(value)) {
        const plain: unknown = isDecimalLike(value)
          ? value.toFixed()
          : (value as { toJSON(): unknown }).toJSON();
        if (typeof plain !== 'object' || plain === null) return canonicalJson(plain);
      }
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
    }
    case 'function':
    case 'symbol':
    case 'undefined':
      return 'null';
  }
  return 'null';
}

function isDecimalLike(value: object): value is { toString(): string; toFixed(): string } {
  return (
    typeof (value as { toFixed?: unknown }).toFixed === 'function' &&
    typeof (value as { d?: unknown }).d === 'object'
  );
}

/** Plain JSON (for jsonb): the canonical form parsed back, so what is stored is what is hashed. */
export function toPlainJson(value: unknown): unknown {
  return value === undefined ? null : JSON.parse(canonicalJson(value));
}

export interface AuditContent {
  occurredAt: Date;
  actorId: string | null;
  action: string;
  entityType: string;
  entityId: string;
  before: unknown;
  after: unknown;
  correlationId: string | null;
}

export const GENESIS_HASH = '0'.repeat(64);

/** SHA-256 over the previous hash and the canonical record: any edit or deletion breaks the chain. */
export function auditHash(prevHash: string, content: AuditContent): string {
  const body = canonicalJson({
    occurredAt: content.occurredAt.toISOString(),
    actorId: content.actorId,
    action: content.action,
    entityType: content.entityType,
    entityId: content.entityId,
    before: content.before ?? null,
    after: content.after ?? null,
    correlationId: content.correlationId,
  });
  return createHash('sha256').update(prevHash).update('\n').update(body).digest('hex');
}
