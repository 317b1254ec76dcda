/** Small dense linear algebra for the pricing maths (matrices are arrays of rows). */

export type Matrix = readonly (readonly number[])[];

export function at(row: readonly number[], i: number): number {
  const v = row[i];
  if (v === undefined) throw new RangeError(`index ${i} out of range (length ${row.length})`);
  return v;
}

export function row(m: Matrix, i: number): readonly number[] {
  const r = m[i];
  if (r === undefined) throw new RangeError(`row ${i} out of range (rows ${m.length})`);
  return r;
}

export function dot(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`dot: length ${a.length} vs ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += at(a, i) * at(b, i);
  return sum;
}

export function matVec(m: Matrix, v: readonly number[]): number[] {
  return m.map((r) => dot(r, v));
}

/** a' M b. */
export function quadraticForm(a: readonly number[], m: Matrix, b: readonly number[]): number {
  if (m.length !== a.length) throw new RangeError(`matrix has ${m.length} rows, vector ${a.length}`);
  return dot(a, matVec(m, b));
}

/** Solves A x = b by Gaussian elimination with partial pivoting; null when A is (numerically) singular. */
export function solveLinear(a: Matrix, b: readonly number[]): number[] | null {
  const n = b.length;
  const m = a.map((r, i) => [...r, at(b, i)]);
  const scale = Math.max(...a.map((r) => Math.max(...r.map(Math.abs))), 0);
  if (!(scale > 0)) return null;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) {
      if (Math.abs(at(row(m, r), col)) > Math.abs(at(row(m, pivot), col))) pivot = r;
    }
    const pivotRow = m[pivot] as number[];
    if (Math.abs(at(pivotRow, col)) <= 1e-13 * scale) return null;
    m[pivot] = m[col] as number[];
    m[col] = pivotRow;
    for (let r = col + 1; r < n; r++) {
      const target = m[r] as number[];
      const factor = at(target, col) / at(pivotRow, col);
      for (let c = col; c <= n; c++) target[c] = at(target, c) - factor * at(pivotRow, c);
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    const current = row(m, r);
    let sum = at(current, n);
    for (let c = r + 1; c < n; c++) sum -= at(current, c) * at(x, c);
    x[r] = sum / at(current, r);
  }
  return x;
}

/**
 * Cholesky factor L (lower triangular, M = L L'). Returns null when M is not positive semi-definite;
 * zero pivots (within tolerance) are allowed so that degenerate but valid covariances pass.
 */
export function cholesky(m: Matrix, tolerance = 1e-12): number[][] | null {
  const n = m.length;
  const l: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const diagScale = Math.max(...m.map((r, i) => Math.abs(at(r, i))), 0);
  for (let i = 0; i < n; i++) {
    const li = l[i] as number[];
    for (let j = 0; j <= i; j++) {
      const lj = l[j] as number[];
      let sum = at(row(m, i), j);
      for (let k = 0; k < j; k++) sum -= at(li, k) * at(lj, k);
      if (i === j) {
        if (sum < -tolerance * diagScale) return null;
        li[i] = Math.sqrt(Math.max(sum, 0));
      } else {
        const d = at(lj, j);
        li[j] = d > 0 ? sum / d : 0;
        if (d === 0 && Math.abs(sum) > tolerance * diagScale) return null;
      }
    }
  }
  return l;
}

/**
 * Nelder–Mead simplex minimisation (Nelder & Mead 1965, standard coefficients 1, 2, 1/2, 1/2).
 * Deterministic; stops when the simplex has shrunk below xTolerance (or is flat to fTolerance).
 */
export function nelderMead(
  f: (x: readonly number[]) => number,
  start: readonly number[],
  steps: readonly number[],
  options: { maxIterations?: number; xTolerance?: number; fTolerance?: number } = {},
): { x: number[]; value: number; iterations: number } {
  const maxIterations = options.maxIterations ?? 2000;
  const xTolerance = options.xTolerance ?? 1e-10;
  const fTolerance = options.fTolerance ?? 1e-15;
  const n = start.length;
  const simplex: { x: number[]; v: number }[] = [{ x: [...start], v: f(start) }];
  for (let i = 0; i < n; i++) {
    const x = [...start];
    x[i] = at(x, i) + at(steps, i);
    simplex.push({ x, v: f(x) });
  }
  const value = (p: { v: number }): number => (Number.isNaN(p.v) ? Infinity : p.v);
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    simplex.sort((p, q) => value(p) - value(q));
    const best = simplex[0] as { x: number[]; v: number };
    const worst = simplex[n] as { x: number[]; v: number };
    const secondWorst = simplex[n - 1] as { x: number[]; v: number };
    const spreadV = Math.abs(value(worst) - value(best));
    let spreadX = 0;
    for (const p of simplex) {
      for (let i = 0; i < n; i++) spreadX = Math.max(spreadX, Math.abs(at(p.x, i) - at(best.x, i)));
    }
    if (spreadX <= xTolerance) break;
    // A flat valley: the points still differ but the function no longer does.
    if (spreadV <= fTolerance * Math.abs(value(best)) && spreadX <= Math.sqrt(xTolerance)) break;

    const centroid = new Array<number>(n).fill(0);
    for (let k = 0; k < n; k++) {
      const p = simplex[k] as { x: number[] };
      for (let i = 0; i < n; i++) centroid[i] = at(centroid, i) + at(p.x, i) / n;
    }
    const along = (t: number): number[] => centroid.map((c, i) => c + t * (at(worst.x, i) - c));
    const reflected = along(-1);
    const vr = f(reflected);
    if (vr < value(best)) {
      const expanded = along(-2);
      const ve = f(expanded);
      simplex[n] = ve < vr ? { x: expanded, v: ve } : { x: reflected, v: vr };
    } else if (vr < value(secondWorst)) {
      simplex[n] = { x: reflected, v: vr };
    } else {
      const contracted = vr < value(worst) ? along(-0.5) : along(0.5);
      const vc = f(contracted);
      if (vc < Math.min(vr, value(worst))) {
        simplex[n] = { x: contracted, v: vc };
      } else {
        for (let k = 1; k <= n; k++) {
          const p = simplex[k] as { x: number[] };
          const x = p.x.map((xi, i) => at(best.x, i) + 0.5 * (xi - at(best.x, i)));
          simplex[k] = { x, v: f(x) };
        }
      }
    }
  }
  simplex.sort((p, q) => value(p) - value(q));
  const best = simplex[0] as { x: number[]; v: number };
  return { x: best.x, value: best.v, iterations };
}
