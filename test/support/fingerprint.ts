/**
 * The text of a row for fingerprints. Audit records are sealed into the hash chain in the
 * background after commit: their seal columns change, their content never does.
 */
export function rowText(tablename: string): string {
  return tablename === 'audit_log'
    ? `(t.seq, t.occurred_at, t.actor_id, t.action, t.entity_type, t.entity_id, t.before, t.after, t.correlation_id)::text`
    : 't::text';
}
