import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../eval/random.js';
import { rotationOf } from '../../features/local/geometry.js';
import { WORDS, hamming, popcount32 } from './hamming.js';
import { calibratedScore, lookupSettles, PRODUCT_SHOT_LOCAL_WEIGHT } from './calibration.js';
import { agreeingFirst, belowExact, closerVariantFirst, mainSubjectFirst, templateFirst, withoutAmbiguousClaim, type LocalMatch } from './evidence.js';
import { photoWindows } from './lookup.service.js';
import { Vocabulary } from './vocabulary.js';

function randomDescriptors(n: number, seed: number): Uint32Array {
  const r = seededRandom(seed);
  return Uint32Array.from({ length: n * WORDS }, () => Math.floor(r() * 2 ** 32) >>> 0);
}

/** n noisy copies (flip `flips` bits) around each of `centers`. */
function clustered(centers: Uint32Array, perCenter: number, flips: number, seed: number): Uint32Array {
  const r = seededRandom(seed);
  const k = centers.length / WORDS;
  const out = new Uint32Array(k * perCenter * WORDS);
  for (let c = 0; c < k; c++) for (let i = 0; i < perCenter; i++) {
    const o = (c * perCenter + i) * WORDS;
    out.set(centers.subarray(c * WORDS, c * WORDS + WORDS), o);
    for (let f = 0; f < flips; f++) { const bit = Math.floor(r() * 256); out[o + (bit >> 5)]! ^= 1 << (bit & 31); }
  }
  return out;
}

describe('hamming', () => {
  it('popcount and distance', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0b1011)).toBe(3);
    const a = new Uint32Array(8), b = new Uint32Array(8);
    b[0] = 0b111; b[7] = 0x80000000;
    expect(hamming(a, 0, b, 0)).toBe(4);
  });
});

describe('vocabulary (k-majority tree)', () => {
  const centers = randomDescriptors(16, 1);
  const data = clustered(centers, 40, 12, 2);

  it('puts noisy copies of one descriptor in the same word, and different ones apart', () => {
    const v = Vocabulary.train(data, 'test', { branching: 4, depth: 2, iterations: 6, seed: 3 });
    expect(v.words).toBeGreaterThan(4);
    const { words } = v.quantize(data);
    let agree = 0;
    for (let c = 0; c < 16; c++) {
      const counts = new Map<number, number>();
      for (let i = 0; i < 40; i++) { const w = words[c * 40 + i]!; counts.set(w, (counts.get(w) ?? 0) + 1); }
      agree += Math.max(...counts.values());
    }
    expect(agree / data.length * WORDS).toBeGreaterThan(0.9);
    for (let i = 0; i < words.length; i++) expect(v.branchOf(words[i]!)).toBeLessThan(4);
  });

  it('serialises and deserialises to the same quantisation, and is deterministic for a seed', () => {
    const v = Vocabulary.train(data, 'test', { branching: 4, depth: 2, iterations: 6, seed: 3 });
    const w = Vocabulary.deserialize(v.serialize());
    expect(w.identity).toBe(v.identity);
    expect(Array.from(w.quantize(data).words)).toEqual(Array.from(v.quantize(data).words));
    const again = Vocabulary.train(data, 'test', { branching: 4, depth: 2, iterations: 6, seed: 3 });
    expect(again.serialize().equals(v.serialize())).toBe(true);
    expect(() => Vocabulary.deserialize(v.serialize().subarray(0, 100))).toThrow();
  });
});

describe('calibrated score', () => {
  it('is ≥ 0.5 exactly for exact matches and grows with evidence', () => {
    expect(calibratedScore(15, 0, 15)).toBeGreaterThanOrEqual(0.5);
    expect(calibratedScore(14, 1, 15)).toBeLessThan(0.5);
    expect(calibratedScore(0, 1, 15)).toBeLessThan(0.5);
    expect(calibratedScore(40, 0.5, 15)).toBeGreaterThan(calibratedScore(20, 0.5, 15));
    expect(calibratedScore(20, 0.9, 15)).toBeGreaterThan(calibratedScore(20, 0.2, 15));
    expect(calibratedScore(200, 1, 15)).toBeLessThanOrEqual(1);
  });

  it('keeps two strong exact matches in the order of their evidence, past 5× the threshold too', () => {
    // A tuning photo's clock: 134 evidence for the right drawing, 104 for another clock whose
    // global cosine is a little higher.
    expect(calibratedScore(134, 0.646, 20)).toBeGreaterThan(calibratedScore(104, 0.653, 20));
    expect(calibratedScore(1000, 1, 20)).toBeLessThan(1);
    // Up to 3.6× the threshold (5^0.8) the scale is as it was: log-linear.
    expect(calibratedScore(40, 0, 20)).toBeCloseTo(0.5 + 0.35 * Math.log(2) / Math.log(5), 10);
  });

  it('ranks local evidence above chance over a better global cosine below the exact threshold', () => {
    expect(calibratedScore(9, 0.3, 20)).toBeGreaterThan(calibratedScore(2, 0.9, 20));
    expect(calibratedScore(15, 0, 20)).toBeGreaterThan(calibratedScore(9, 0, 20));
    // At chance level the global cosine decides, as in a search without lookup.
    expect(calibratedScore(3, 0.8, 20)).toBeGreaterThan(calibratedScore(4, 0.5, 20));
  });
});

describe('product shots', () => {
  it('are not photos whose lookup found a match near exact or one standing out from the rest', () => {
    expect(lookupSettles([17, 16.5], 20)).toBe(true);
    expect(lookupSettles([8, 12], 20)).toBe(true);
    expect(lookupSettles([12, 9], 20)).toBe(false);
    expect(lookupSettles([9, 2], 20)).toBe(false);
    expect(lookupSettles([9, 8.5, 7], 20)).toBe(false);
    expect(lookupSettles([], 20)).toBe(false);
  });

  it('rank by global cosine below the exact threshold, local evidence only breaking near-ties', () => {
    // A globally close product over a weakly matched one, unlike in a shopper's photo.
    expect(calibratedScore(0, 0.85, 20, PRODUCT_SHOT_LOCAL_WEIGHT)).toBeGreaterThan(calibratedScore(12, 0.6, 20, PRODUCT_SHOT_LOCAL_WEIGHT));
    expect(calibratedScore(0, 0.85, 20)).toBeLessThan(calibratedScore(12, 0.6, 20));
    expect(calibratedScore(10, 0.8, 20, PRODUCT_SHOT_LOCAL_WEIGHT)).toBeGreaterThan(calibratedScore(0, 0.81, 20, PRODUCT_SHOT_LOCAL_WEIGHT));
    // Exact matches are exact in any photo.
    expect(calibratedScore(25, 0.2, 20, PRODUCT_SHOT_LOCAL_WEIGHT)).toBeGreaterThanOrEqual(0.5);
    expect(calibratedScore(19, 1, 20, PRODUCT_SHOT_LOCAL_WEIGHT)).toBeLessThan(0.5);
  });
});

describe('parts of the photo looked at again', () => {
  it('are boxes of the given side at the centre and the four corners, inside the photo', () => {
    const boxes = photoWindows(0.6);
    expect(boxes).toHaveLength(5);
    expect(boxes[0]!.x).toBeCloseTo(0.2);
    expect(boxes[0]!.y).toBeCloseTo(0.2);
    for (const b of boxes) {
      expect(b.width).toBe(0.6);
      expect(b.height).toBe(0.6);
      expect(b.x).toBeGreaterThanOrEqual(0);
      expect(b.x + b.width).toBeLessThanOrEqual(1 + 1e-9);
      expect(b.y + b.height).toBeLessThanOrEqual(1 + 1e-9);
    }
    // Together they cover the photo.
    for (const [x, y] of [[0.01, 0.01], [0.99, 0.01], [0.5, 0.5], [0.01, 0.99], [0.99, 0.99], [0.3, 0.7]] as const) {
      expect(boxes.some((b) => x >= b.x && x <= b.x + b.width && y >= b.y && y <= b.y + b.height)).toBe(true);
    }
  });
});

describe('evidence that ranks but does not claim', () => {
  it('stays below the exact threshold and keeps its order', () => {
    const values = [0, 5, 18.5, 19, 19.5, 20, 25, 40, 80];
    const squashed = values.map((v) => belowExact(v, 20));
    for (const [i, v] of squashed.entries()) {
      expect(v).toBeLessThan(20);
      if (values[i]! <= 19) expect(v).toBe(values[i]);
      if (i > 0) expect(v).toBeGreaterThan(squashed[i - 1]!);
    }
  });
});

describe('rotationOf', () => {
  const similarity = (deg: number, scale: number) => {
    const t = (deg * Math.PI) / 180;
    return Float64Array.from([scale * Math.cos(t), -scale * Math.sin(t), 40, scale * Math.sin(t), scale * Math.cos(t), 10, 0, 0, 1]);
  };
  it('reads the turn of a placement in degrees, either way, whatever its scale', () => {
    expect(rotationOf(similarity(0, 1))).toBeCloseTo(0, 6);
    expect(rotationOf(similarity(30, 0.5))).toBeCloseTo(30, 6);
    expect(rotationOf(similarity(-30, 2))).toBeCloseTo(30, 6);
    expect(rotationOf(similarity(170, 1))).toBeCloseTo(170, 6);
    // An upside-down placement is 180°, not 0°.
    expect(rotationOf(similarity(180, 1))).toBeCloseTo(180, 6);
  });
});

describe('withoutAmbiguousClaim', () => {
  const box = { x: 0.2, y: 0.2, width: 0.5, height: 0.4 };
  const match = (key: number, evidence: number, inliers: number, agreement: number | undefined, at = box, coverage = 0.5): LocalMatch =>
    ({ key, evidence, inliers, coverage, bovw: 0, box: at, ...(agreement !== undefined ? { agreement } : {}) });

  it('withdraws a claim that another drawing shares at the same place, then judges the next', () => {
    // Two ensign flags: the Union Jack and the blue field match both, the badges differ.
    const out = withoutAmbiguousClaim([match(1, 28, 27, 0.81), match(2, 26, 26, 0.77), match(3, 5, 6, undefined)], 20);
    expect(out.map((m) => m.key)).toEqual([1, 2, 3]);
    expect(out[0]!.evidence).toBeLessThan(20);
    expect(out[1]!.evidence).toBeLessThan(20);
    expect(out[0]!.evidence).toBeGreaterThan(out[1]!.evidence); // the order stays
  });

  it('compares inliers at the same place, not the coverage each catalogue image gets from them', () => {
    // The claimed flag's inliers cover more of it than the rival's cover of its own; both explain the same keypoints.
    const out = withoutAmbiguousClaim([match(1, 27.3, 26, 0.81, box, 0.43), match(2, 19.5, 28, undefined, box, 0.29)], 20);
    expect(out[0]!.key).toBe(1);
    expect(out.every((m) => m.evidence < 20)).toBe(true);
  });

  it('keeps a claim confirmed beyond doubt, one without a close rival, and one whose rival lies elsewhere', () => {
    const clear = [match(1, 30, 20, 0.98), match(2, 18, 19, undefined)];
    expect(withoutAmbiguousClaim(clear, 20)).toEqual(clear);
    const alone = [match(1, 30, 30, 0.82), match(2, 19, 20, undefined)];
    expect(withoutAmbiguousClaim(alone, 20)).toEqual(alone);
    const elsewhere = [match(1, 22, 21, 0.85), match(2, 19, 74, 0.6, { x: 0.75, y: 0.6, width: 0.2, height: 0.3 })];
    expect(withoutAmbiguousClaim(elsewhere, 20)).toEqual(elsewhere);
    expect(withoutAmbiguousClaim([], 20)).toEqual([]);
  });
});

/** A keypoint match's placement in the photo (the two checks below only pass it on). */
const placement = { homography: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), frame: { width: 100, height: 100 } };

describe('agreeingFirst', () => {
  const match = (key: number, evidence: number, placed = true): LocalMatch =>
    ({ key, evidence, inliers: Math.round(evidence), coverage: 0.3, bovw: 0, ...(placed ? { placement } : {}) });
  /** Agreement by key; a key missing from the map cannot be judged. */
  const agreement = (byKey: Record<number, number>) => async (m: LocalMatch): Promise<number | null> => byKey[m.key] ?? null;

  it('puts a match whose pixels agree clearly better in the first place, with the first one\'s evidence', async () => {
    // A swimming sign's chance inliers under a sailing ship, the ship with fewer.
    const out = await agreeingFirst([match(1, 19), match(2, 15.3), match(3, 6)], agreement({ 1: 0.35, 2: 0.97, 3: 0.2 }), 20);
    expect(out.map((m) => m.key)).toEqual([2, 1, 3]);
    expect(out[0]!.evidence).toBe(19);
    expect(out[1]!.evidence).toBe(15.3);
  });

  it('chooses the best agreeing of several, and only one agreeing by the margin and the least fit', async () => {
    const ranked = [match(1, 12), match(2, 10), match(3, 9), match(4, 8)];
    expect((await agreeingFirst(ranked, agreement({ 1: 0.1, 2: 0.7, 3: 0.9, 4: 0.8 }), 20))[0]!.key).toBe(3);
    // 0.25 better is within chance; 0.45 is not enough agreement to go by.
    expect(await agreeingFirst(ranked, agreement({ 1: 0.5, 2: 0.75 }), 20)).toEqual(ranked);
    expect(await agreeingFirst(ranked, agreement({ 1: 0.1, 2: 0.45 }), 20)).toEqual(ranked);
  });

  it('leaves exact claims, flat matches, weak rivals and unjudged firsts alone', async () => {
    const all = agreement({ 1: 0.1, 2: 0.95 });
    const exact = [match(1, 24), match(2, 18)];
    expect(await agreeingFirst(exact, all, 20)).toEqual(exact);
    const flatFirst = [match(1, 12, false), match(2, 10)];
    expect(await agreeingFirst(flatFirst, all, 20)).toEqual(flatFirst);
    const flatRival = [match(1, 12), match(2, 10, false)];
    expect(await agreeingFirst(flatRival, all, 20)).toEqual(flatRival);
    const weak = [match(1, 12), match(2, 5.5)]; // below half the first's evidence
    expect(await agreeingFirst(weak, all, 20)).toEqual(weak);
    const unjudged = [match(3, 12), match(2, 10)];
    expect(await agreeingFirst(unjudged, all, 20)).toEqual(unjudged);
    expect(await agreeingFirst([], all, 20)).toEqual([]);
  });
});

describe('closerVariantFirst', () => {
  const box = { x: 0.3, y: 0.1, width: 0.6, height: 0.8 };
  const match = (key: number, evidence: number, inliers: number, agreement?: number, at = box): LocalMatch =>
    ({ key, evidence, inliers, coverage: 0.5, bovw: 0, box: at, placement, ...(agreement !== undefined ? { agreement } : {}) });
  /** closerPlacement scores (first, other) by the other's key. */
  const fits = (byKey: Record<number, number>, own = 0.7) => async (_: LocalMatch, m: LocalMatch) => (m.key in byKey ? { a: own, b: byKey[m.key]! } : null);

  it('puts the variant that fits the photo clearly better first, with the first one\'s evidence', async () => {
    const ranked = [match(1, 30, 30, 0.95), match(2, 27, 26), match(3, 25, 25)];
    const out = await closerVariantFirst(ranked, fits({ 2: 0.9, 3: 0.72 }), async () => 0.97, 20);
    expect(out.map((m) => m.key)).toEqual([2, 1, 3]);
    expect(out[0]!.evidence).toBe(30);
    expect(out[1]!.evidence).toBe(27);
    // Within the margin, below the least fit, or elsewhere in the photo: the order stays.
    expect(await closerVariantFirst(ranked, fits({ 2: 0.73, 3: 0.74 }), async () => 0.97, 20)).toEqual(ranked);
    expect(await closerVariantFirst(ranked, fits({ 2: 0.45 }, 0.2), async () => 0.97, 20)).toEqual(ranked);
    const elsewhere = [match(1, 30, 30, 0.95), match(2, 27, 26, undefined, { x: 0, y: 0, width: 0.2, height: 0.2 })];
    expect(await closerVariantFirst(elsewhere, fits({ 2: 0.95 }), async () => 0.97, 20)).toEqual(elsewhere);
  });

  it('judges an exact claim it takes over by the new first\'s own pixels', async () => {
    // A wrong exact match, the right variant below exact (never pixel-checked), and a third drawing at
    // the same place with nearly as many inliers: the claim stands only if the right one's pixels are clear.
    const ranked = [match(1, 22.7, 21, 0.96), match(2, 18, 18), match(3, 20, 20, 0.86)];
    const clear = withoutAmbiguousClaim(await closerVariantFirst(ranked, fits({ 2: 0.9 }), async () => 1, 20), 20);
    expect(clear[0]!.key).toBe(2);
    expect(clear[0]!.agreement).toBe(1);
    expect(clear[0]!.evidence).toBe(22.7);
    const unclear = withoutAmbiguousClaim(await closerVariantFirst(ranked, fits({ 2: 0.9 }), async () => 0.8, 20), 20);
    expect(unclear[0]!.key).toBe(2);
    expect(unclear[0]!.evidence).toBeLessThan(20);
  });
});

describe('mainSubjectFirst', () => {
  /** A match whose box has side `side` (a share of the photo's width and height) at (x, y). */
  const match = (key: number, evidence: number, x: number, y: number, side: number): LocalMatch =>
    ({ key, evidence, inliers: Math.round(evidence), coverage: 0.5, bovw: 0, box: { x, y, width: side, height: side } });

  it('puts the larger of two products firmly matched at different places first, with the first one\'s evidence', () => {
    // A flag among the clutter that copies a catalogue flag (small, top right) and the product (large, left).
    const ranked = [match(1, 18.9, 0.65, 0, 0.3), match(2, 17.6, 0.1, 0.2, 0.55), match(3, 14, 0.5, 0.1, 0.45)];
    const out = mainSubjectFirst(ranked, 20);
    expect(out.map((m) => m.key)).toEqual([2, 1, 3]);
    expect(out[0]!.evidence).toBe(18.9);
    expect(out[1]!.evidence).toBe(17.6);
  });

  it('hands over the first one\'s rank, not its exact claim', () => {
    const out = mainSubjectFirst([match(1, 23.3, 0.65, 0, 0.3), match(2, 19.7, 0.1, 0.2, 0.6)], 20);
    expect(out.map((m) => m.key)).toEqual([2, 1]);
    expect(out[0]!.evidence).toBeLessThan(20);
    expect(out[0]!.evidence).toBeGreaterThan(out[1]!.evidence);
    // An exact product keeps the claim it has on its own.
    const both = mainSubjectFirst([match(1, 40, 0.65, 0, 0.3), match(2, 30, 0.1, 0.2, 0.6)], 20);
    expect(both[0]!).toMatchObject({ key: 2, evidence: 40 });
  });

  it('leaves weak matches, rivals not much larger, overlapping ones and lone firsts alone', () => {
    const weakFirst = [match(1, 12, 0.65, 0, 0.3), match(2, 11, 0.1, 0.2, 0.6)];
    expect(mainSubjectFirst(weakFirst, 20)).toEqual(weakFirst);
    const weakRival = [match(1, 30, 0.65, 0, 0.3), match(2, 19, 0.1, 0.2, 0.6)]; // below 0.7 of the first
    expect(mainSubjectFirst(weakRival, 20)).toEqual(weakRival);
    const alike = [match(1, 19, 0.65, 0, 0.3), match(2, 18, 0.1, 0.2, 0.35)]; // 1.36 times the area
    expect(mainSubjectFirst(alike, 20)).toEqual(alike);
    const overlapping = [match(1, 19, 0.4, 0.3, 0.3), match(2, 18, 0.1, 0.2, 0.6)];
    expect(mainSubjectFirst(overlapping, 20)).toEqual(overlapping);
    expect(mainSubjectFirst([match(1, 30, 0.1, 0.1, 0.2)], 20)).toHaveLength(1);
    expect(mainSubjectFirst([], 20)).toEqual([]);
  });
});

describe('templateFirst', () => {
  const match = (key: number, evidence: number): LocalMatch => ({ key, evidence, inliers: Math.round(evidence), coverage: 0.3, bovw: 0 });

  it('gives the first place to the most evidence plus weight × template score, with the first one\'s evidence', () => {
    // A clip-art clock's 6 inliers under a clutter icon's 10: its feature map fits the photo far better.
    const ranked = [match(1, 10), match(2, 7), match(3, 6), match(4, 3)];
    const out = templateFirst(ranked, [0.55, 0.6, 0.9, 0.95], 40, 20);
    // The former first takes the evidence the new one had, and ranks by it.
    expect(out.map((m) => m.key)).toEqual([3, 2, 1, 4]);
    expect(out.map((m) => m.evidence)).toEqual([10, 7, 6, 3]);
    // Scores alike: the evidence decides, nothing moves.
    expect(templateFirst(ranked, [0.6, 0.6, 0.62, 0.6], 40, 20)).toEqual(ranked);
    // Only the scored matches compete: the fourth is not among them.
    expect(templateFirst(ranked, [0.55, 0.5, 0.5], 40, 20)).toEqual(ranked);
  });

  it('leaves an exact first, an unscored first and unscored rivals alone', () => {
    const exact = [match(1, 24), match(2, 18)];
    expect(templateFirst(exact, [0.1, 0.99], 40, 20)).toEqual(exact);
    const ranked = [match(1, 10), match(2, 7)];
    expect(templateFirst(ranked, [null, 0.99], 40, 20)).toEqual(ranked);
    expect(templateFirst(ranked, [0.5, null], 40, 20)).toEqual(ranked);
    expect(templateFirst([], [], 40, 20)).toEqual([]);
  });
});
