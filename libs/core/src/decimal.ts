import { Decimal as DecimalJs } from 'decimal.js';

/**
 * One Decimal constructor for the whole platform: 40 significant digits covers Decimal(38, 12)
 * postings exactly; rounding is explicit at every boundary, the default only guards arithmetic.
 */
export const Decimal = DecimalJs.clone({
  precision: 40,
  rounding: DecimalJs.ROUND_HALF_EVEN,
  toExpNeg: -40,
  toExpPos: 40,
});
export type Decimal = DecimalJs;
export type DecimalInput = DecimalJs.Value | { toString(): string };

export const ZERO = new Decimal(0);

export function dec(value: DecimalInput): Decimal {
  return value instanceof DecimalJs ? value : new Decimal(value.toString());
}

export function isMultipleOf(value: DecimalInput, step: DecimalInput): boolean {
  const s = dec(step);
  if (s.isZero()) return true;
  return dec(value).mod(s).isZero();
}

export type TickRounding = 'nearest' | 'down' | 'up';

/** Round to a multiple of `tick` (down = toward -inf, up = toward +inf, nearest = half-even). */
export function roundToStep(
  value: DecimalInput,
  step: DecimalInput,
  mode: TickRounding = 'nearest',
): Decimal {
  const s = dec(step);
  if (s.isZero()) return dec(value);
  const units = dec(value).div(s);
  const rounded =
    mode === 'down'
      ? units.floor()
      : mode === 'up'
        ? units.ceil()
        : units.toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN);
  return rounded.mul(s);
}

/** Canonical string for the wire and for hashing: no exponent, no trailing zeros. */
export function decString(value: DecimalInput): string {
  return dec(value).toFixed();
}

export function decMin(a: Decimal, b: Decimal): Decimal {
  return a.lte(b) ? a : b;
}

export function decMax(a: Decimal, b: Decimal): Decimal {
  return a.gte(b) ? a : b;
}

/** Parse a wire decimal: a plain string (or finite number) with at most `maxDp` decimals. */
export function parseDecimalString(raw: unknown): Decimal | null {
  if (typeof raw !== 'string' && typeof raw !== 'number') return null;
  const s = String(raw).trim();
  if (!/^-?\d{1,30}(\.\d{1,30})?$/.test(s)) return null;
  return new Decimal(s);
}
