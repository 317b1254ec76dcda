import { Decimal, ValidationError } from '@app/core';
import { z } from 'zod';

// At most 12 integer digits: every amount derived from them (premium = quantity × price) fits the
// ledger's Decimal(38, 12) columns.
const DECIMAL = /^-?\d{1,12}(\.\d{1,8})?$/;

/** Decimals travel as strings: at most 12 integer digits and 8 decimals, never a JSON number. */
export const decimalString = z
  .string({ error: 'must be a decimal string' })
  .regex(DECIMAL, 'must be a decimal string with at most 12 integer digits and 8 decimals')
  .transform((v) => new Decimal(v));
export const positiveDecimal = decimalString.refine((d) => d.gt(0), 'must be greater than 0');
export const uuid = z.string().uuid('must be a UUID');
export const clientId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[\w.:-]+$/, 'letters, digits and . _ : - only');
export const side = z.enum(['BUY', 'SELL']);
const ratio = z
  .union([z.number().int(), z.string().regex(/^\d{1,3}$/, 'must be an integer')])
  .transform((v) => new Decimal(v))
  .refine((d) => d.gte(1) && d.lte(100), 'must be an integer 1..100');

export const createRfqSchema = z.strictObject({
  clientRfqId: clientId,
  legs: z
    .array(z.strictObject({ instrument: z.string().min(1).max(64), side, ratio: ratio.optional() }))
    .min(1)
    .max(8),
  quantity: positiveDecimal,
  expiresInSeconds: z.number().int().min(5).max(86_400),
  makers: z.array(z.string().min(1).max(64)).max(50).optional(),
  disclosed: z.boolean().optional(),
  autoExecute: z
    .strictObject({ side, limitPrice: decimalString, afterSeconds: z.number().int().min(1).max(86_400) })
    .optional(),
});

export const acceptSchema = z.strictObject({ quoteId: uuid, side, quantity: positiveDecimal.optional() });
export const executeSchema = z.strictObject({
  side,
  quantity: positiveDecimal,
  limitPrice: decimalString,
  allOrNone: z.boolean().optional(),
});

const quoteSide = z.strictObject({
  price: decimalString,
  quantity: positiveDecimal,
  minQuantity: positiveDecimal.optional(),
});
export const submitQuoteSchema = z.strictObject({
  rfqId: uuid,
  clientQuoteId: clientId,
  bid: quoteSide.optional(),
  ask: quoteSide.optional(),
  validForSeconds: z.number().int().min(1).max(3_600),
  cancelOnDisconnect: z.boolean().optional(),
});
export const replaceQuoteSchema = submitQuoteSchema
  .omit({ rfqId: true })
  .extend({ clientQuoteId: clientId.optional() });
export const cancelAllSchema = z.strictObject({ rfqId: uuid.optional() });

const setting = positiveDecimal.refine((d) => d.lt(1e9), 'must be below 1e9');

export const strategySchema = z.strictObject({
  enabled: z.boolean().optional(),
  gamma: setting.optional(),
  k: setting.optional(),
  horizonSeconds: z.number().int().min(1).max(31_536_000).optional(),
  baseSpreadTicks: z.number().int().min(1).max(10_000).optional(),
  maxSize: setting.optional(),
  quoteValiditySeconds: z.number().int().min(1).max(3_600).optional(),
  underlyings: z
    .array(z.enum(['BTC', 'ETH']))
    .max(10)
    .optional(),
  volOfVol: setting.optional(),
  spotVolCorrelation: decimalString.refine((d) => d.gte(-1) && d.lte(1), 'must be in [-1, 1]').optional(),
  requoteThreshold: setting.optional(),
  hedgeEnabled: z.boolean().optional(),
  hedgeCostBps: decimalString.refine((d) => d.gte(0) && d.lt(1e6), 'must be in [0, 1e6)').optional(),
});

export const idempotencyKey = z
  .string({ error: 'the Idempotency-Key header is required' })
  .min(1)
  .max(128)
  .regex(/^[\w.:-]+$/, 'letters, digits and . _ : - only');

const KNOWN_STATES = new Set([
  'OPEN',
  'PARTIALLY_FILLED',
  'FILLED',
  'CANCELLED',
  'EXPIRED',
  'LIVE',
  'REPLACED',
  'BOOKED',
  'CONFIRMED',
]);
const listStates = z
  .string()
  .regex(/^[A-Z_]+(,[A-Z_]+)*$/)
  .transform((s) => s.split(','))
  .refine((states) => states.every((x) => KNOWN_STATES.has(x)), 'unknown state');

export const RFQ_STATE_SET = new Set(['OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'EXPIRED']);
export const QUOTE_STATE_SET = new Set(['LIVE', 'FILLED', 'CANCELLED', 'EXPIRED', 'REPLACED']);

/** States of a list filter that the listed entity has: another entity's state is a 400. */
export function statesOf(states: string[] | undefined, allowed: Set<string>): string[] | undefined {
  if (!states) return undefined;
  const bad = states.find((x) => !allowed.has(x));
  if (bad)
    throw new ValidationError(`state: ${bad} is not a state of this list`, [
      { field: 'state', message: `unknown state ${bad}` },
    ]);
  return states;
}
export const listQuerySchema = z.strictObject({
  state: listStates.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
  account: z.string().max(64).optional(),
  instrument: z.string().max(64).optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
  rfqId: uuid.optional(),
});

/** Parses with a zod schema; a failure is a 400 naming every bad field. */
function hasNul(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some((v) => hasNul(v, depth + 1));
  if (value && typeof value === 'object') {
    return Object.entries(value).some(
      ([k, v]) => k.includes('\u0000') || k === '__proto__' || hasNul(v, depth + 1),
    );
  }
  return false;
}

export function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  code = 'VALIDATION.FAILED',
): z.output<S> {
  // PostgreSQL text cannot hold NUL: refuse it here rather than let it reach a query.
  if (hasNul(value)) {
    throw new ValidationError(
      'NUL characters are not allowed',
      [{ field: '(body)', message: 'contains NUL' }],
      code,
    );
  }
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({
    field: i.path.join('.') || '(body)',
    message: i.message,
  }));
  throw new ValidationError(`${details[0]!.field}: ${details[0]!.message}`, details, code);
}

export function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}
