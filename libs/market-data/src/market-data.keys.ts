/**
 * Redis names. Everything sits under the hash-tagged QUEUE_PREFIX, so the keys share one Redis Cluster
 * slot with the platform's queues and a multi-key transaction over them is legal.
 */

/** Latest snapshot of one underlying, JSON. */
export function snapshotKey(prefix: string, underlying: string): string {
  return `${prefix}:md:${underlying}`;
}

/**
 * Set of the underlyings that have a snapshot key, so a starting reader can load them all without
 * SCAN. Lower-case, so it cannot collide with an (upper-case) underlying's key.
 */
export function underlyingsKey(prefix: string): string {
  return `${prefix}:md:underlyings`;
}

/** Pub/sub channel carrying every new snapshot, JSON. */
export function updatesChannel(prefix: string): string {
  return `${prefix}:md`;
}
