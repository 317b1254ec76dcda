/**
 * Standard normal distribution functions.
 *
 * The CDF goes through erfc rather than erf because erfc keeps full relative precision in the tail
 * (Φ(-30) ≈ 5e-198 must not collapse to 0 via 1 - 1). The erfc rational approximations are the
 * minimax coefficients published in W. J. Cody, "Rational Chebyshev approximations for the error
 * function", Math. Comp. 23 (1969) 631-637, evaluated here in a fresh implementation.
 */

const SQRT2 = Math.SQRT2;
const INV_SQRT_2PI = 0.3989422804014327; // 1/sqrt(2π)
const INV_SQRT_PI = 0.5641895835477563; // 1/sqrt(π)

// |x| ≤ 0.46875: erf(x) = x·P(x²)/Q(x²)
const ERF_P = [
  3.1611237438705655, 113.86415415105016, 377.485237685302, 3209.3775891384694, 0.18577770618460315,
];
const ERF_Q = [23.601290952344122, 244.02463793444417, 1282.6165260773723, 2844.236833439171];

// 0.46875 < |x| ≤ 4: erfc(x) = exp(-x²)·P(x)/Q(x)
const ERFC_P = [
  0.5641884969886701, 8.883149794388377, 66.11919063714163, 298.6351381974001, 881.952221241769,
  1712.0476126340707, 2051.0783778260716, 1230.3393547979972, 2.1531153547440383e-8,
];
const ERFC_Q = [
  15.744926110709835, 117.6939508913125, 537.1811018620099, 1621.3895745666903, 3290.7992357334597,
  4362.619090143247, 3439.3676741437216, 1230.3393548037495,
];

// |x| > 4: erfc(x) = exp(-x²)/x·(1/√π + P(1/x²)/Q(1/x²)/x²)
const TAIL_P = [
  0.30532663496123236, 0.36034489994980445, 0.12578172611122926, 0.016083785148742275, 0.0006587491615298378,
  0.016315387137302097,
];
const TAIL_Q = [
  2.568520192289822, 1.8729528499234673, 0.5279051029514285, 0.06051834131244132, 0.0023352049762686918,
];

function c(arr: readonly number[], i: number): number {
  return arr[i] as number;
}

/**
 * exp(-scale·y²) with y split into a short head (exact square) and a remainder, so that the rounding
 * of y² (relative error ε·y², i.e. 1e-13 at y = 30) does not reach the result.
 */
function expMinusScaledSquare(y: number, scale: number): number {
  const head = Math.trunc(y * 16) / 16;
  const rest = (y - head) * (y + head);
  return Math.exp(-scale * head * head) * Math.exp(-scale * rest);
}

/** erfc(y)·exp(y²) for y ≥ 0.46875 (the smooth factor; the Gaussian is applied by the caller). */
function erfcRatio(y: number): number {
  let r: number;
  if (y <= 4) {
    let num = c(ERFC_P, 8) * y;
    let den = y;
    for (let i = 0; i < 7; i++) {
      num = (num + c(ERFC_P, i)) * y;
      den = (den + c(ERFC_Q, i)) * y;
    }
    r = (num + c(ERFC_P, 7)) / (den + c(ERFC_Q, 7));
  } else {
    const z = 1 / (y * y);
    let num = c(TAIL_P, 5) * z;
    let den = z;
    for (let i = 0; i < 4; i++) {
      num = (num + c(TAIL_P, i)) * z;
      den = (den + c(TAIL_Q, i)) * z;
    }
    r = (z * (num + c(TAIL_P, 4))) / (den + c(TAIL_Q, 4));
    r = (INV_SQRT_PI - r) / y;
  }
  return r;
}

/** erf(x) for |x| ≤ 0.46875. */
function erfSmall(x: number): number {
  const z = x * x;
  let num = c(ERF_P, 4) * z;
  let den = z;
  for (let i = 0; i < 3; i++) {
    num = (num + c(ERF_P, i)) * z;
    den = (den + c(ERF_Q, i)) * z;
  }
  return (x * (num + c(ERF_P, 3))) / (den + c(ERF_Q, 3));
}

/** Complementary error function, relative accuracy ~1e-15 over the whole real line. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 0;
  if (x === -Infinity) return 2;
  const y = Math.abs(x);
  if (y <= 0.46875) return 1 - erfSmall(x);
  const r = erfcRatio(y) * expMinusScaledSquare(y, 1);
  return x < 0 ? 2 - r : r;
}

/** Scaled complementary error function erfcx(x) = e^{x²}·erfc(x); no underflow for large positive x. */
export function erfcx(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) <= 0.46875) return (1 - erfSmall(x)) * Math.exp(x * x);
  if (x > 0) return erfcRatio(x);
  return 2 * Math.exp(x * x) - erfcRatio(-x);
}

/** Mills ratio Φ(-z)/φ(z): the Gaussian tail without its exponential factor (meant for z ≥ 0). */
export function millsRatio(z: number): number {
  return Math.sqrt(Math.PI / 2) * erfcx(z / SQRT2);
}

/** Error function. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (Math.abs(x) === Infinity) return Math.sign(x);
  const y = Math.abs(x);
  if (y <= 0.46875) return erfSmall(x);
  const r = 1 - erfcRatio(y) * expMinusScaledSquare(y, 1);
  return x < 0 ? -r : r;
}

/** Standard normal density φ(x). */
export function normPdf(x: number): number {
  return INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}

/**
 * Standard normal CDF Φ(x) = erfc(-x/√2)/2, with relative precision ~1e-15 deep in the left tail:
 * the Gaussian factor exp(-x²/2) is taken from x itself, not from the rounded x/√2.
 */
export function normCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return 1;
  if (x === -Infinity) return 0;
  const y = -x / SQRT2;
  if (Math.abs(y) <= 0.46875) return 0.5 * (1 - erfSmall(y));
  const tail = 0.5 * erfcRatio(Math.abs(y)) * expMinusScaledSquare(Math.abs(x), 0.5);
  return y < 0 ? 1 - tail : tail;
}
