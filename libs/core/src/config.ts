import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Every environment variable the platform reads, with its default. Validated once at boot. */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(3000),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .default('postgresql://postgres@127.0.0.1:5432/rfq'),
  DATABASE_READ_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL')
    .optional(),
  DATABASE_POOL_SIZE: int(1, 200).default(10),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .default('redis://127.0.0.1:6379'),
  // Hash-tagged so that every BullMQ key of the platform lands in one Redis Cluster slot.
  QUEUE_PREFIX: z
    .string()
    .regex(/^\{[A-Za-z0-9_-]+\}$/, 'must be a hash tag such as {rfq}')
    .default('{rfq}'),
  API_KEY_ENCRYPTION_KEY: z
    .string()
    .regex(/^[0-9a-f]{64}$/i, 'must be 64 hex characters (32 bytes)')
    .default('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  MARKET_DATA_SOURCE: z.enum(['simulator', 'deribit']).default('simulator'),
  MARKET_DATA_SEED: int(0, 2 ** 31 - 1).default(42),
  MARKET_DATA_INTERVAL_MS: int(10, 60_000).default(250),
  MARKET_DATA_MAX_AGE_MS: int(100, 3_600_000).default(5_000),
  FEE_ACCOUNT_NAME: z.string().min(1).default('platform-fees'),
  HEDGE_VENUE_ACCOUNT_NAME: z.string().min(1).default('hedge-venue'),
  RATE_LIMIT_PER_SECOND: int(1, 100_000).default(50),
  RATE_LIMIT_BURST: int(1, 100_000).default(100),
  SIGNATURE_WINDOW_MS: int(1_000, 300_000).default(30_000),
  BODY_LIMIT_BYTES: int(1_024, 10_485_760).default(65_536),
  WS_HEARTBEAT_MS: int(500, 120_000).default(10_000),
  OUTBOX_POLL_MS: int(5, 60_000).default(250),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  DEMO_TAKER: bool.default(false),
  DEMO_RFQ_PER_SECOND: z.coerce.number().min(0.01).max(1000).default(2),
  SHUTDOWN_TIMEOUT_MS: int(100, 120_000).default(10_000),
  // /metrics and /health of the engine and quoter (which have no HTTP server of their own).
  METRICS_PORT: int(0, 65_535).optional(),
  // Where the start-up migration check finds prisma/migrations (found by default).
  MIGRATIONS_DIR: z.string().min(1).optional(),
});

export type AppConfigShape = z.infer<typeof configSchema>;

export class ConfigValidationError extends Error {}

/** Parse raw variables; a bad value stops start-up with one line naming the variable. */
export function parseConfig(raw: Record<string, string | undefined>): AppConfigShape {
  const present = Object.fromEntries(
    Object.entries(raw).filter(
      ([key, value]) => key in configSchema.shape && value !== undefined && value !== '',
    ),
  );
  const result = configSchema.safeParse(present);
  if (!result.success) {
    const first = result.error.issues[0];
    const name = first?.path.join('.') ?? 'configuration';
    throw new ConfigValidationError(`Invalid configuration: ${name}: ${first?.message ?? 'invalid'}`);
  }
  return result.data;
}

/**
 * The typed configuration object injected everywhere: a class so that it can be a DI token, merged
 * with the schema's inferred shape so that no field is declared twice.
 */
/* eslint-disable @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type */
export abstract class AppConfig {
  static from(shape: AppConfigShape): AppConfig {
    return Object.freeze(Object.assign(Object.create(AppConfig.prototype) as AppConfig, shape));
  }
}
export interface AppConfig extends Readonly<AppConfigShape> {}
/* eslint-enable @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type */

/**
 * The entry points call this before building the Nest application so that a bad variable stops
 * start-up with one readable line (and exit code 1) instead of a stack trace.
 */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): AppConfig {
  try {
    return AppConfig.from(parseConfig(env));
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
