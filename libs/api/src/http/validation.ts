import { Decimal, ValidationError } from '@app/core';
import { z } from 'zod';

const DECIMAL = /^-?\d{1,20}(\.\d{1,8})?$/;

/** Decimals travel as strings: at most 20 integer digits and 8 decimals, never a JSON number. */
export const decimalString = z
  .string({ error: 'must be a decimal string' })
  .regex(DECIMAL, 'must be a decimal string with at most 8 decimals')
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

export const strategySchema = z.strictObject({
  enabled: z.boolean().optional(),
  gamma: positiveDecimal.optional(),
  k: positiveDecimal.optional(),
  horizonSeconds: z.number().int().min(1).max(31_536_000).optional(),
  baseSpreadTicks: z.number().int().min(1).max(10_000).optional(),
  maxSize: positiveDecimal.optional(),
  quoteValiditySeconds: z.number().int().min(1).max(3_600).optional(),
  underlyings: z
    .array(z.enum(['BTC', 'ETH']))
    .max(10)
    .optional(),
  volOfVol: positiveDecimal.optional(),
  spotVolCorrelation: decimalString.refine((d) => d.gte(-1) && d.lte(1), 'must be in [-1, 1]').optional(),
  requoteThreshold: positiveDecimal.optional(),
  hedgeEnabled: z.boolean().optional(),
  hedgeCostBps: decimalString.refine((d) => d.gte(0), 'must be >= 0').optional(),
});

export const idempotencyKey = z
  .string({ error: 'the Idempotency-Key header is required' })
  .min(1)
  .max(128)
  .regex(/^[\w.:-]+$/, 'letters, digits and . _ : - only');

const listStates = z
  .string()
  .regex(/^[A-Z_]+(,[A-Z_]+)*$/)
  .transform((s) => s.split(','));
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
export function parse<S extends z.ZodType>(
  schema: S,
  value: unknown,
  code = 'VALIDATION.FAILED',
): z.output<S> {
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
