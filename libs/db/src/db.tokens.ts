/** The pg pool shared by Prisma's adapter and the hot paths that run plain SQL. */
export const PG_POOL = Symbol('PG_POOL');

/** Plain Redis commands (rate limits, market data snapshots, health). */
export const REDIS = Symbol('REDIS');
