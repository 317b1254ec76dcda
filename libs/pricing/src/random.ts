/**
 * Seeded pseudo-random numbers for simulations and property tests: xoshiro128** (Blackman & Vigna 2018,
 * "Scrambled linear pseudorandom number generators") with its 128-bit state filled from the seed by a
 * SplitMix-style 32-bit mixer, plus Box–Muller normals. Same seed, same sequence, on every platform.
 * Not for cryptography.
 */

export interface Rng {
  /** Next raw 32-bit output as an unsigned integer. */
  nextUint32(): number;
  /** Uniform in [0, 1) with 53 random bits. */
  nextFloat(): number;
  /** Standard normal N(0, 1). */
  nextNormal(): number;
  /** Uniform integer in [0, n). */
  nextInt(n: number): number;
  /** Independent generator derived from this one (for per-path streams). */
  fork(): Rng;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Expands a seed into a stream of well-mixed 32-bit words (golden-ratio increment, murmur3 finaliser). */
function seedWords(seed: number, count: number): number[] {
  let state = Math.trunc(seed) >>> 0;
  // Fold the high part of seeds beyond 2^32 in, so 1 and 2^32 + 1 differ.
  state = (state ^ Math.trunc(seed / 4294967296)) >>> 0;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    out.push((z ^ (z >>> 16)) >>> 0);
  }
  return out;
}

class Xoshiro128StarStar implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  constructor(words: readonly number[]) {
    this.s0 = (words[0] ?? 0) >>> 0;
    this.s1 = (words[1] ?? 0) >>> 0;
    this.s2 = (words[2] ?? 0) >>> 0;
    this.s3 = (words[3] ?? 0) >>> 0;
    // The all-zero state is the one fixed point of the generator.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  nextFloat(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  nextNormal(): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return z;
    }
    const u1 = 1 - this.nextFloat(); // (0, 1]: keeps log finite
    const u2 = this.nextFloat();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  nextInt(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new RangeError(`nextInt needs a positive integer, got ${n}`);
    return Math.floor(this.nextFloat() * n);
  }

  fork(): Rng {
    return new Xoshiro128StarStar(seedWords(this.nextUint32() * 4294967296 + this.nextUint32(), 4));
  }
}

/** Creates a seeded generator; any finite number is a valid seed. */
export function createRng(seed: number): Rng {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be finite, got ${seed}`);
  return new Xoshiro128StarStar(seedWords(seed, 4));
}

/** Generator started from an explicit 128-bit state (four 32-bit words, not all zero); for reproducing runs. */
export function rngFromState(words: readonly [number, number, number, number]): Rng {
  return new Xoshiro128StarStar(words);
}
