/**
 * Candidate generation for product lookup: a visual-word inverted file with Hamming embedding
 * (Jégou, Douze & Schmid, "Hamming embedding and weak geometric consistency for large scale image
 * search", ECCV 2008). A plain bag of words counts a query keypoint and a catalog keypoint as a
 * match whenever they fall in the same visual word, and in a 10,000-image catalog most such
 * matches are chance. Here every posting keeps (the first `signatureWords` words of) its
 * keypoint's ORB descriptor, and a word match counts only when the two differ in at most
 * `threshold` of those bits, weighted by a Gaussian of the distance. A query keypoint matching several keypoints of one image counts once (÷ √matches:
 * burstiness, Jégou et al. CVPR 2009). Weak geometric consistency (the same ECCV paper): a word
 * match counts only when the two keypoints' ORB orientations differ by at most `maxTurn`, since a
 * product photographed roughly upright turns all of its keypoints by about the same small angle,
 * while chance matches differ by any angle.
 *
 * The matches found while scoring are kept for the best candidates: they are the tentative
 * correspondences of the spatial re-ranking (spatial-rerank.ts), already filtered by descriptor.
 */
import { AppError } from '../../domain/errors.js';
import { turnSteps, withinTurn } from '../../features/local/local-features.js';
import { asWords, popcount32, WORDS } from './hamming.js';

export interface IndexedImage {
  key: number;
  /** Visual word per keypoint. */
  words: Uint32Array;
  /** x, y per keypoint (pixels of the analysed catalog image). */
  xy: Float32Array;
  /** 32-byte ORB descriptor per keypoint. */
  descriptors: Uint8Array;
  /** ORB orientation per keypoint (LocalFeatures.angles); without it, the index checks no angles. */
  angles?: Uint8Array;
}

export interface HammingOptions {
  /** Largest descriptor distance (bits of 256) that still counts as a match. */
  threshold: number;
  /** Width of the Gaussian weight exp(−h²/σ²) of a match at distance h. */
  sigma: number;
  /** Image scores are divided by (tf-idf norm)^normPower: 1 favours small images, 0 large ones. */
  normPower: number;
  /**
   * Largest difference (degrees) between a query keypoint's and a catalog keypoint's ORB
   * orientation for a word match to count; 180 (the default) counts every angle.
   */
  maxTurn?: number;
  /**
   * 32-bit words of each catalog descriptor the postings keep (and the scan compares): 8 is the
   * whole 256-bit ORB descriptor, 4 its first 128 tests. The descriptors are three quarters of the
   * index's memory; verification matches the full descriptors from the store either way.
   */
  signatureWords: 4 | 8;
}

// Tuning set (seed 3, 100 photos, 10,000-image catalog): the true image among the first 300
// candidates for 0.90 of photos (tf-idf cosine: 0.76), first for 0.50 (0.35). Thresholds 48–72 and
// σ 16–28 are within ±0.02 at 300; no Gaussian weight (σ → ∞) drops it to 0.75; normPower 1 to 0.88
// with first 0.34, 0.75 to 0.89 / 0.43.
// Session 13 (tuning set seed 3, 300 photos, 1,200 keypoints per catalog image): the first 128
// bits at threshold 32 and σ 12 (the 256-bit figures halved) against all 256 at 64 / 24: lookup
// recall@1 / @10 0.927 / 0.943 against 0.930 / 0.943 at 10k, 0.950 / 0.967 against 0.947 / 0.973 at
// 1k, for 25 instead of 41 bytes per posting; 64 bits (16 / 6): 0.920 / 0.937 at 10k; 128 bits at
// threshold 36: 0.927 / 0.940.
export const DEFAULT_HAMMING_OPTIONS: HammingOptions = { threshold: 32, sigma: 12, normPower: 0.5, signatureWords: 4 };

export interface Candidate {
  key: number;
  /** The image's position in the build order. */
  slot: number;
  score: number;
}

/**
 * What a scan of the postings reads, on SharedArrayBuffers so that a worker thread can scan half
 * of a query's keypoints over the same memory (ScanWorker).
 */
export interface ScanTables {
  /** Start of each word's postings (length words + 1); postings are in build order within a word. */
  offsets: Uint32Array;
  slots: Int32Array;
  descriptors: Uint32Array;
  idf2: Float32Array;
  /** exp(−h²/σ²) for every distance h up to `threshold`. */
  weights: Float32Array;
  /** ORB orientation per posting, in ANGLE_STEPS of a turn. */
  angles: Uint8Array;
  /** Largest orientation difference of a match, in ANGLE_STEPS (turnSteps); −1: no check. */
  maxTurn: number;
  /** Largest descriptor distance that counts as a match (HammingOptions.threshold). */
  threshold: number;
  /** 32-bit words per posting in `descriptors` (HammingOptions.signatureWords). */
  signatureWords: 4 | 8;
  images: number;
}

/** The outcome of scanning some of a query's keypoints: per-image score sums and the matches. */
export interface Scan {
  scores: Float32Array;
  /** Matched postings and the query keypoints they matched (indices into the whole query), `length` of them. */
  postings: Int32Array;
  queries: Int32Array;
  length: number;
}

export class HammingIndex {
  readonly keys: number[];
  readonly tables: ScanTables;
  /** x, y per posting in quarter pixels. */
  private readonly xy: Uint16Array;
  /** Per image: (tf-idf norm)^normPower, the score's divisor. */
  private readonly norms: Float32Array;

  constructor(readonly vocabularySize: number, images: readonly IndexedImage[], options: HammingOptions = DEFAULT_HAMMING_OPTIONS) {
    this.keys = images.map((d) => d.key);
    const df = new Uint32Array(vocabularySize);
    const offsets = shared(Uint32Array, vocabularySize + 1);
    const counts = images.map((d) => countWords(d.words));
    for (const c of counts) for (const [w, n] of c) { df[w]!++; offsets[w + 1]! += n; }
    for (let w = 0; w < vocabularySize; w++) offsets[w + 1]! += offsets[w]!;
    const total = offsets[vocabularySize]!;
    const n = Math.max(images.length, 1);
    const idf2 = shared(Float32Array, vocabularySize);
    for (let w = 0; w < vocabularySize; w++) idf2[w] = df[w]! > 0 ? Math.log(n / df[w]!) ** 2 : 0;
    const sw = options.signatureWords;
    if (sw !== 4 && sw !== 8) throw new AppError('INVALID_PARAMETER', `the lookup index keeps 4 or 8 words of each descriptor, not ${String(sw)}`);
    const slots = shared(Int32Array, total);
    const descriptors = shared(Uint32Array, total * sw);
    const angles = shared(Uint8Array, total);
    // Orientations are checked only when every image has them (features of an older analysis do not).
    const maxTurn = images.every((d) => d.angles) ? turnSteps(options.maxTurn) : -1;
    this.xy = new Uint16Array(2 * total);
    this.norms = new Float32Array(images.length);
    const fill = offsets.slice(0, vocabularySize);
    images.forEach((d, slot) => {
      const words = asWords(d.descriptors);
      for (let k = 0; k < d.words.length; k++) {
        const at = fill[d.words[k]!]!++;
        slots[at] = slot;
        descriptors.set(words.subarray(k * WORDS, k * WORDS + sw), at * sw);
        angles[at] = d.angles?.[k] ?? 0;
        this.xy[2 * at] = quarter(d.xy[2 * k]!);
        this.xy[2 * at + 1] = quarter(d.xy[2 * k + 1]!);
      }
      let norm = 0;
      for (const [w, c] of counts[slot]!) norm += Math.sqrt(c) * idf2[w]!;
      this.norms[slot] = Math.sqrt(norm) ** options.normPower || 1;
    });
    const weights = shared(Float32Array, options.threshold + 1);
    for (let h = 0; h <= options.threshold; h++) weights[h] = Math.exp(-(h * h) / (options.sigma * options.sigma));
    this.tables = { offsets, slots, descriptors, idf2, weights, angles, maxTurn, threshold: options.threshold, signatureWords: sw, images: images.length };
  }

  get size(): number {
    return this.keys.length;
  }

  /** Bytes held by the postings (slot, descriptor, position) and tables: what the index costs in memory. */
  get memoryBytes(): number {
    const t = this.tables;
    return t.offsets.byteLength + t.slots.byteLength + t.descriptors.byteLength + t.angles.byteLength + t.idf2.byteLength + t.weights.byteLength
      + this.xy.byteLength + this.norms.byteLength + this.keys.length * 8;
  }

  /** How much scanning each query keypoint costs (postings of its word), for splitting a query between threads. */
  work(words: Uint32Array): Float64Array {
    const o = this.tables.offsets;
    return Float64Array.from(words, (w) => (o[w + 1] ?? 0) - (o[w] ?? 0));
  }

  /**
   * The `limit` images with the highest Hamming-embedding score for the query keypoints (their
   * words, descriptors — 8 uint32 per descriptor — and ORB angles), best first, with the
   * descriptor matches that made each score.
   */
  query(words: Uint32Array, descriptors: Uint32Array, angles: Uint8Array | undefined, limit: number, accept?: (key: number) => boolean): { candidates: Candidate[]; matches: CandidateMatches } {
    return this.finish([scanPostings(this.tables, words, descriptors, angles, 0, words.length)], limit, accept);
  }

  /** The candidates and their matches from scans that together cover every query keypoint once. */
  finish(scans: readonly Scan[], limit: number, accept?: (key: number) => boolean): { candidates: Candidate[]; matches: CandidateMatches } {
    const images = this.keys.length;
    const scores = new Float32Array(images);
    for (const s of scans) for (let slot = 0; slot < images; slot++) scores[slot]! += s.scores[slot]!;
    for (let slot = 0; slot < images; slot++) scores[slot]! /= this.norms[slot]!;
    const top = topK(scores, limit, (slot) => !accept || accept(this.keys[slot]!));
    const candidates = top.map((slot) => ({ key: this.keys[slot]!, slot, score: scores[slot]! }));
    return { candidates, matches: new CandidateMatches(this.tables.slots, this.xy, scans, top, images) };
  }
}

/**
 * Scans the postings of query keypoints [from, to): a word match counts when the orientations
 * differ by at most `t.maxTurn` (unless the query has no angles) and the descriptors are within
 * `t.threshold` bits, weighted by exp(−h²/σ²) and idf², and a query keypoint's matches in one image
 * count √n times one (burstiness). Scores are not yet divided by the image norms.
 */
export function scanPostings(t: ScanTables, words: Uint32Array, descriptors: Uint32Array, queryAngles: Uint8Array | undefined, from: number, to: number): Scan {
  const scores = new Float32Array(t.images);
  const acc = new Float32Array(t.images);
  const hits = new Uint16Array(t.images);
  const touched = new Int32Array(t.images);
  const pairs = new PairList();
  const { offsets, slots, descriptors: pd, weights, idf2: idf2s, threshold, angles: pa, signatureWords: sw } = t;
  const whole = sw === 8;
  const qd = descriptors;
  const turn = queryAngles ? t.maxTurn : -1;
  for (let i = from; i < to; i++) {
    const w = words[i]!;
    const idf2 = idf2s[w] ?? 0;
    if (idf2 === 0) continue;
    const x = i * WORDS;
    const q0 = qd[x]!, q1 = qd[x + 1]!, q2 = qd[x + 2]!, q3 = qd[x + 3]!;
    const q4 = qd[x + 4]!, q5 = qd[x + 5]!, q6 = qd[x + 6]!, q7 = qd[x + 7]!;
    let nTouched = 0;
    const qa = turn >= 0 ? queryAngles![i]! : 0;
    for (let p = offsets[w]!, end = offsets[w + 1]!; p < end; p++) {
      if (turn >= 0 && !withinTurn(qa, pa[p]!, turn)) continue;
      const y = p * sw;
      let h = popcount32(q0 ^ pd[y]!) + popcount32(q1 ^ pd[y + 1]!) + popcount32(q2 ^ pd[y + 2]!) + popcount32(q3 ^ pd[y + 3]!);
      if (h > threshold) continue;
      if (whole) {
        h += popcount32(q4 ^ pd[y + 4]!) + popcount32(q5 ^ pd[y + 5]!) + popcount32(q6 ^ pd[y + 6]!) + popcount32(q7 ^ pd[y + 7]!);
        if (h > threshold) continue;
      }
      const slot = slots[p]!;
      if (hits[slot] === 0) touched[nTouched++] = slot;
      if (hits[slot]! < 65535) hits[slot]!++;
      acc[slot]! += idf2 * weights[h]!;
      pairs.push(p, i);
    }
    for (let k = 0; k < nTouched; k++) {
      const slot = touched[k]!;
      scores[slot]! += acc[slot]! / Math.sqrt(hits[slot]!);
      acc[slot] = 0;
      hits[slot] = 0;
    }
  }
  return { scores, postings: pairs.postings, queries: pairs.queries, length: pairs.length };
}

/** The descriptor matches (catalog posting ↔ query keypoint) of each candidate, grouped by candidate. */
export class CandidateMatches {
  private readonly start: Uint32Array;
  private readonly posting: Int32Array;
  private readonly queryPoint: Int32Array;

  constructor(slots: Int32Array, private readonly xy: Uint16Array, scans: readonly Scan[], candidateSlots: readonly number[], images: number) {
    const candidateOf = new Int32Array(images).fill(-1);
    candidateSlots.forEach((slot, c) => { candidateOf[slot] = c; });
    const n = candidateSlots.length;
    this.start = new Uint32Array(n + 1);
    for (const s of scans) {
      for (let k = 0; k < s.length; k++) {
        const c = candidateOf[slots[s.postings[k]!]!]!;
        if (c >= 0) this.start[c + 1]!++;
      }
    }
    for (let c = 0; c < n; c++) this.start[c + 1]! += this.start[c]!;
    this.posting = new Int32Array(this.start[n]!);
    this.queryPoint = new Int32Array(this.start[n]!);
    const fill = this.start.slice(0, n);
    for (const s of scans) {
      for (let k = 0; k < s.length; k++) {
        const c = candidateOf[slots[s.postings[k]!]!]!;
        if (c < 0) continue;
        const at = fill[c]!++;
        this.posting[at] = s.postings[k]!;
        this.queryPoint[at] = s.queries[k]!;
      }
    }
  }

  /** Matches of candidate `c` (its position in the query's candidate list). */
  count(c: number): number {
    return this.start[c + 1]! - this.start[c]!;
  }

  /**
   * Tentative correspondences of candidate `c` as catalog xy → query xy (pixels), at most
   * src.length / 2. A pair is skipped when its query keypoint matches m keypoints of the image and
   * its catalog keypoint n query keypoints with m × n > maxPairs: repeated texture, nearly all wrong.
   */
  correspondences(c: number, queryXy: Float32Array, maxPairs: number, src: Float32Array, dst: Float32Array): number {
    const from = this.start[c]!, to = this.start[c + 1]!;
    const perQuery = new Map<number, number>();
    const perPosting = new Map<number, number>();
    for (let k = from; k < to; k++) {
      perQuery.set(this.queryPoint[k]!, (perQuery.get(this.queryPoint[k]!) ?? 0) + 1);
      perPosting.set(this.posting[k]!, (perPosting.get(this.posting[k]!) ?? 0) + 1);
    }
    let n = 0;
    const cap = src.length / 2;
    for (let k = from; k < to && n < cap; k++) {
      const p = this.posting[k]!, i = this.queryPoint[k]!;
      if (perQuery.get(i)! * perPosting.get(p)! > maxPairs) continue;
      src[2 * n] = this.xy[2 * p]! / 4;
      src[2 * n + 1] = this.xy[2 * p + 1]! / 4;
      dst[2 * n] = queryXy[2 * i]!;
      dst[2 * n + 1] = queryXy[2 * i + 1]!;
      n++;
    }
    return n;
  }
}

/** A growable list of (posting, query keypoint) pairs. */
class PairList {
  postings = new Int32Array(1 << 14);
  queries = new Int32Array(1 << 14);
  length = 0;

  push(posting: number, query: number): void {
    if (this.length === this.postings.length) {
      const grow = (a: Int32Array) => { const b = new Int32Array(a.length * 2); b.set(a); return b; };
      this.postings = grow(this.postings);
      this.queries = grow(this.queries);
    }
    this.postings[this.length] = posting;
    this.queries[this.length++] = query;
  }
}

/** A typed array on a SharedArrayBuffer. */
function shared<T>(Kind: { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, length: number): T {
  return new Kind(new SharedArrayBuffer(Math.max(1, length) * Kind.BYTES_PER_ELEMENT));
}

function quarter(v: number): number {
  return Math.min(65535, Math.max(0, Math.round(v * 4)));
}

function countWords(words: Uint32Array): Map<number, number> {
  const m = new Map<number, number>();
  for (const w of words) m.set(w, (m.get(w) ?? 0) + 1);
  return m;
}

/** Indices of the k largest positive scores, best first. */
export function topK(scores: Float32Array, k: number, accept: (i: number) => boolean): number[] {
  const heap: number[] = []; // min-heap on score
  const less = (a: number, b: number) => scores[a]! < scores[b]!;
  for (let i = 0; i < scores.length; i++) {
    if (!(scores[i]! > 0)) continue;
    if (heap.length === k && !less(heap[0]!, i)) continue;
    if (!accept(i)) continue;
    if (heap.length < k) {
      heap.push(i);
      for (let c = heap.length - 1; c > 0; ) {
        const p = (c - 1) >> 1;
        if (!less(heap[c]!, heap[p]!)) break;
        [heap[c], heap[p]] = [heap[p]!, heap[c]!];
        c = p;
      }
    } else {
      heap[0] = i;
      for (let p = 0; ; ) {
        const l = 2 * p + 1, r = l + 1;
        let m = p;
        if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
        if (m === p) break;
        [heap[m], heap[p]] = [heap[p]!, heap[m]!];
        p = m;
      }
    }
  }
  return heap.sort((a, b) => scores[b]! - scores[a]!);
}
