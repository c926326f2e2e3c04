/**
 * The correctly rounded weighted mean of doubles, for the composite candle: the exact value of
 * Σ wᵢ·xᵢ / Σ wᵢ rounded once to the nearest double (ties to even), so it does not depend on the
 * order of the terms and a single term (or equal terms) gives back its own value exactly.
 * @module
 */

/** A finite double as m · 2^e with an integer m. */
interface Scaled {
  readonly m: bigint;
  readonly e: number;
}

const view = new DataView(new ArrayBuffer(8));

function scaled(x: number): Scaled {
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let m = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased !== 0) m |= 1n << 52n;
  if (hi >>> 31) m = -m;
  return { m, e: (biased === 0 ? 1 : biased) - 1075 };
}

function bitLength(n: bigint): number {
  if (n === 0n) return 0;
  // Hex digits: a quarter of the string toString(2) would build.
  const hex = (n < 0n ? -n : n).toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0], 16)));
}

/** Σ mᵢ·2^eᵢ as one m·2^e (e the smallest exponent). */
function sum(terms: readonly Scaled[]): Scaled {
  const e = Math.min(...terms.map((t) => t.e));
  let m = 0n;
  for (const t of terms) m += t.m << BigInt(t.e - e);
  return { m, e };
}

/**
 * Σ wᵢ·xᵢ / Σ wᵢ, correctly rounded. Weights must be finite and ≥ 0 with a positive sum, values
 * finite; throws a RangeError otherwise. Results in the subnormal range may be off by one unit
 * (prices and sizes never are there).
 */
export function weightedMean(values: readonly number[], weights: readonly number[]): number {
  if (values.length !== weights.length || values.length === 0) {
    throw new RangeError("weightedMean: values and weights must be non-empty and of equal length");
  }
  // Equal values (one venue, or venues that agree) are their own mean, exactly: no big integers.
  if (values.every((x) => x === values[0]) && validWeights(weights) && Number.isFinite(values[0])) {
    return values[0];
  }
  const products: Scaled[] = [];
  const ws: Scaled[] = [];
  for (let i = 0; i < values.length; i++) {
    const w = weights[i];
    const x = values[i];
    if (!Number.isFinite(w) || w < 0 || !Number.isFinite(x)) {
      throw new RangeError(`weightedMean: bad term ${x} × ${w}`);
    }
    const sw = scaled(w);
    const sx = scaled(x);
    products.push({ m: sw.m * sx.m, e: sw.e + sx.e });
    ws.push(sw);
  }
  const num = sum(products);
  const den = sum(ws);
  if (den.m <= 0n) throw new RangeError("weightedMean: the weights sum to 0");
  return quotient(num, den);
}

function validWeights(weights: readonly number[]): boolean {
  let positive = false;
  for (const w of weights) {
    if (!Number.isFinite(w) || w < 0) return false;
    if (w > 0) positive = true;
  }
  return positive;
}

// num / den rounded to the nearest double: an integer quotient with at least 64 significant
// bits and a sticky bit for any remainder, which Number() then rounds correctly (ties to even).
function quotient(num: Scaled, den: Scaled): number {
  if (num.m === 0n) return 0;
  const negative = num.m < 0n;
  const magnitude = negative ? -num.m : num.m;
  const shift = Math.max(0, 66 + bitLength(den.m) - bitLength(magnitude));
  const n = magnitude << BigInt(shift);
  const q = ((n / den.m) << 1n) | (n % den.m !== 0n ? 1n : 0n);
  const result = scaleByPowerOfTwo(Number(q), num.e - den.e - shift - 1);
  return negative ? -result : result;
}

function scaleByPowerOfTwo(x: number, e: number): number {
  // Exact while the result stays normal: apply in steps a double can represent.
  while (e > 1000) {
    x *= 2 ** 1000;
    e -= 1000;
  }
  while (e < -1000) {
    x *= 2 ** -1000;
    e += 1000;
  }
  return x * 2 ** e;
}
