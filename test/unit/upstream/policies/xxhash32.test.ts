import { describe, expect, it } from "vitest";
import { xxhash32, xxhash32String } from "../../../../src/upstream/policies/xxhash32.js";

describe("xxhash32", () => {
  // Expected values computed with the reference C library (libxxhash 0.8.1, XXH32).
  const vectors: Array<[string, number, number]> = [
    ["", 0, 0x02cc5d05],
    ["a", 0, 0x550d7456],
    ["abc", 0, 0x32d153ff],
    ["abc", 1, 0xaa3da8ff],
    ["0123456789abcdef", 0, 0xc2c45b69],
    ["Nobody inspects the spammish repetition", 0, 0xe2293b2f],
    ["héllo wörld 日本", 0, 0x0db61db0],
    ["x".repeat(33), 0x9747b28c, 0xd6a4d2ee],
    ["gpu-1_0", 0, 0xbca176c9],
  ];

  it.each(vectors)("XXH32(%j, seed %d) = %d", (text, seed, expected) => {
    expect(xxhash32String(text, seed)).toBe(expected);
    expect(xxhash32(new TextEncoder().encode(text), seed)).toBe(expected);
  });

  it("hashes strings longer than the scratch buffer like their bytes", () => {
    const long = "κλειδί-".repeat(200);
    expect(xxhash32String(long)).toBe(xxhash32(new TextEncoder().encode(long)));
  });

  it("spreads sequential keys evenly over 64 buckets (chi-square, 100k keys)", () => {
    const buckets = new Array<number>(64).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[xxhash32String(`session-${i}`) >>> 26]! += 1;
    const expected = 100_000 / 64;
    const chiSquare = buckets.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
    // 63 degrees of freedom: the 99.9th percentile is about 104.
    expect(chiSquare).toBeLessThan(104);
  });

  it("flips about half the output bits for a one-bit input change (avalanche)", () => {
    let flipped = 0;
    let trials = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = new TextEncoder().encode(`key-${i}`);
      const base = xxhash32(bytes);
      for (let bit = 0; bit < 8; bit++) {
        const changed = bytes.slice();
        changed[0]! ^= 1 << bit;
        let diff = (base ^ xxhash32(changed)) >>> 0;
        while (diff) {
          flipped += diff & 1;
          diff >>>= 1;
        }
        trials++;
      }
    }
    expect(Math.abs(flipped / trials - 16)).toBeLessThan(0.5);
  });
});
