import { AppError } from '../../domain/errors.js';
import type { RgbImage } from '../../imaging/types.js';
import { identityKey, type ExtractorIdentity, type FeatureExtractor } from '../feature-extractor.js';
import type { TextEmbedder } from '../text/text-embedder.js';

/** One extractor of a hybrid and its weight in the combined cosine. */
export interface HybridPart {
  extractor: FeatureExtractor;
  weight: number;
}

/** Extractors that hold threads or native sessions. */
interface Closable {
  close(): Promise<void>;
}

/**
 * Hybrid scoring: several extractors (e.g. a deep ONNX encoder and the classic default) behind one
 * vector. Each part's vector is L2-normalised and scaled by √(wᵢ / Σw), then the parts are
 * concatenated, so the combined vector has unit norm and its cosine to another is exactly the
 * weighted mean of the parts' cosines:  cos(a, b) = Σ wᵢ·cosᵢ(a, b) / Σ wᵢ.
 * The index, filters, "not like this" and the local-verification score of product lookup then all
 * work on the combined evidence unchanged.
 */
export class HybridExtractor implements FeatureExtractor {
  readonly identity: ExtractorIdentity;
  /** A text query lands in the slot of the one part with a text tower (zeros elsewhere): same ranking as that part alone. */
  readonly text: TextEmbedder | null;
  private readonly scales: number[];
  private readonly offsets: number[];
  private readonly partTexts: (TextEmbedder | null)[];

  /** `partText` gives a part's text tower, if it has one (ONNX CLIP-class models). */
  constructor(readonly parts: readonly HybridPart[], partText: (extractor: FeatureExtractor) => TextEmbedder | null = () => null) {
    if (parts.length < 2) throw invalid('a hybrid extractor needs at least two parts', { parts: parts.length });
    for (const p of parts) {
      if (!(Number.isFinite(p.weight) && p.weight > 0)) throw invalid(`weight of ${p.extractor.identity.name} must be a positive number, got ${p.weight}`, { part: p.extractor.identity.name, weight: p.weight });
      if (p.extractor.identity.metric !== 'cosine') {
        throw invalid(`hybrid parts must compare by cosine; ${p.extractor.identity.name} uses ${p.extractor.identity.metric}`, { part: p.extractor.identity.name });
      }
    }
    const total = parts.reduce((s, p) => s + p.weight, 0);
    this.scales = parts.map((p) => Math.sqrt(p.weight / total));
    let offset = 0;
    this.offsets = parts.map((p) => { const o = offset; offset += p.extractor.identity.dimensions; return o; });
    this.identity = {
      name: `hybrid(${parts.map((p) => `${p.extractor.identity.name}*${p.weight}`).join('+')})`,
      version: '1',
      dimensions: offset,
      metric: 'cosine',
      preprocessing: `concat of l2-normalised parts scaled by sqrt(w/sum w): ${parts.map((p) => `[${identityKey(p.extractor.identity)}]*${p.weight}`).join(' + ')}`,
    };
    this.partTexts = parts.map((p) => partText(p.extractor));
    const withText = this.partTexts.flatMap((text, i) => (text ? [{ i, text }] : []));
    this.text = withText.length === 1 ? this.slotText(withText[0]!.i, withText[0]!.text) : null;
  }

  /** A large query is decoded as large as the most demanding part needs (undefined: full analysis size). */
  get queryDecodeSide(): number | undefined {
    const sides = this.parts.map((p) => p.extractor.queryDecodeSide);
    return sides.some((s) => s === undefined) ? undefined : Math.max(...(sides as number[]));
  }

  async extract(image: RgbImage): Promise<Float32Array> {
    return this.combine(await Promise.all(this.parts.map((p) => p.extractor.extract(image))));
  }

  /** The combined vector of the parts' vectors (in part order). */
  combine(vectors: readonly Float32Array[]): Float32Array {
    const out = new Float32Array(this.identity.dimensions);
    vectors.forEach((v, i) => this.place(out, i, v));
    return out;
  }

  /** The same hybrid over other extractors with the same identities (e.g. a worker-thread pool of the default part). */
  withExtractors(map: (extractor: FeatureExtractor) => FeatureExtractor): HybridExtractor {
    const parts = this.parts.map((p) => {
      const e = map(p.extractor);
      if (identityKey(e.identity) !== identityKey(p.extractor.identity)) throw new Error(`replacement for ${p.extractor.identity.name} has another identity`);
      return { extractor: e, weight: p.weight };
    });
    return new HybridExtractor(parts, (e) => this.partTexts[parts.findIndex((p) => p.extractor === e)] ?? null);
  }

  /** Closes the parts that hold threads or sessions (ONNX workers). */
  async close(): Promise<void> {
    for (const p of this.parts) await (p.extractor as Partial<Closable>).close?.();
  }

  private place(out: Float32Array, part: number, v: Float32Array): void {
    const dims = this.parts[part]!.extractor.identity.dimensions;
    if (v.length !== dims) throw new Error(`part ${part} returned ${v.length} values, expected ${dims}`);
    let norm = 0;
    for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
    const s = norm > 0 ? this.scales[part]! / Math.sqrt(norm) : 0;
    const o = this.offsets[part]!;
    for (let i = 0; i < v.length; i++) out[o + i] = v[i]! * s;
  }

  private slotText(part: number, text: TextEmbedder): TextEmbedder {
    return {
      dimensions: this.identity.dimensions,
      embed: async (q) => {
        const out = new Float32Array(this.identity.dimensions);
        this.place(out, part, await text.embed(q));
        return out;
      },
    };
  }
}

/** One `name[*weight]` term of SHOPLENS_EXTRACTOR. */
export interface ExtractorTerm {
  name: string;
  weight: number;
}

/**
 * Parses SHOPLENS_EXTRACTOR: one extractor name ("default", "onnx:clip-vit-b32") or a hybrid of
 * several joined by "+", each with an optional "*weight" (default 1), e.g.
 * "onnx:clip-vit-b32*2+default". AppError INVALID_CONFIG on a malformed term.
 */
export function parseExtractorSpec(spec: string): ExtractorTerm[] {
  const terms = spec.split('+').map((t) => t.trim());
  const out = terms.map((term) => {
    const m = /^([a-z][\w.:-]*?)(?:\*([0-9]*\.?[0-9]+))?$/.exec(term);
    const weight = m?.[2] === undefined ? 1 : Number(m[2]);
    if (!m || !(weight > 0)) throw invalid(`bad extractor term "${term}" in "${spec}": expected name or name*weight (weight > 0), joined by +`, { spec, term });
    return { name: m[1]!, weight };
  });
  const names = out.map((t) => t.name);
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated) throw invalid(`extractor "${repeated}" appears twice in "${spec}"`, { spec, repeated });
  return out;
}

function invalid(message: string, details: Record<string, unknown>): AppError {
  return new AppError('INVALID_CONFIG', message, { details });
}
