import { AppError } from '../../domain/errors.js';

/**
 * CLIP's byte-level BPE tokenizer, read from a Hugging Face `tokenizer.json`.
 *
 * Why our own (about 150 lines) rather than a package: the only maintained JS implementation is
 * inside @xenova/transformers / @huggingface/transformers, which pulls its own onnxruntime-web,
 * sharp and ~50 MB of dependencies for one class; the `tokenizers` native binding downloads a
 * binary at install time. The algorithm is small and fixed (OpenAI's simple_tokenizer.py).
 */

const SPECIAL_BOS = '<|startoftext|>';
const SPECIAL_EOS = '<|endoftext|>';
const END_OF_WORD = '</w>';
/** OpenAI's pre-tokenizer pattern (case-insensitive): specials, English contractions, letter runs, single digits, other symbols. */
const WORDS = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

/** GPT-2's bytes→unicode table: printable bytes map to themselves, the rest to code points from 256 up. */
function bytesToUnicode(): string[] {
  const keep: number[] = [];
  for (let b = 33; b <= 126; b++) keep.push(b);
  for (let b = 161; b <= 172; b++) keep.push(b);
  for (let b = 174; b <= 255; b++) keep.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    table[b] = keep.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
  }
  return table;
}

const BYTE_CHARS = bytesToUnicode();

/** The 256 byte-level symbols in CLIP's vocabulary order (first 256 ids). */
export function byteLevelAlphabet(): string[] {
  const keepFirst = BYTE_CHARS.filter((c) => c.codePointAt(0)! < 256);
  const rest = BYTE_CHARS.filter((c) => c.codePointAt(0)! >= 256);
  return [...keepFirst, ...rest];
}

export interface EncodedText {
  /** Token ids, [bos, …, eos], padded with padId to contextLength. */
  ids: number[];
  /** 1 for real tokens (including bos/eos), 0 for padding. */
  mask: number[];
}

export class ClipTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  private readonly ranks: Map<string, number>;
  private readonly cache = new Map<string, number[]>();

  private constructor(
    private readonly vocab: Map<string, number>,
    merges: Array<[string, string]>,
  ) {
    this.ranks = new Map(merges.map(([a, b], i) => [`${a} ${b}`, i]));
    const bos = vocab.get(SPECIAL_BOS);
    const eos = vocab.get(SPECIAL_EOS);
    if (bos === undefined || eos === undefined) {
      throw new AppError('INVALID_MODEL_MANIFEST', `The tokenizer has no ${SPECIAL_BOS} / ${SPECIAL_EOS} tokens: not a CLIP tokenizer`);
    }
    this.bosId = bos;
    this.eosId = eos;
  }

  /** Reads a Hugging Face tokenizer.json with a BPE model (merges as "a b" strings or [a, b] pairs). */
  static fromTokenizerJson(text: string, where = 'tokenizer.json'): ClipTokenizer {
    const bad = (why: string, cause?: unknown) =>
      new AppError('INVALID_MODEL_MANIFEST', `${where}: ${why}`, { details: { where }, ...(cause ? { cause } : {}) });
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw bad('not valid JSON', err);
    }
    const model = (raw as { model?: { type?: unknown; vocab?: unknown; merges?: unknown } } | null)?.model;
    if (!model || model.type !== 'BPE' || typeof model.vocab !== 'object' || model.vocab === null || !Array.isArray(model.merges)) {
      throw bad('expected a BPE model with a vocab and merges');
    }
    const vocab = new Map<string, number>();
    for (const [token, id] of Object.entries(model.vocab as Record<string, unknown>)) {
      if (!Number.isInteger(id)) throw bad(`vocab entry "${token}" has no integer id`);
      vocab.set(token, id as number);
    }
    for (const t of ((raw as { added_tokens?: Array<{ id?: unknown; content?: unknown }> }).added_tokens ?? [])) {
      if (typeof t.content === 'string' && Number.isInteger(t.id)) vocab.set(t.content, t.id as number);
    }
    const merges = (model.merges as unknown[]).map((m): [string, string] => {
      const pair = typeof m === 'string' ? m.split(' ') : m;
      if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((p) => typeof p === 'string')) throw bad(`bad merge ${JSON.stringify(m)}`);
      return [pair[0] as string, pair[1] as string];
    });
    return new ClipTokenizer(vocab, merges);
  }

  /** Token ids of the text without bos/eos (CLIP normalisation: NFC, whitespace collapsed, lower case). */
  tokenize(text: string): number[] {
    const clean = text.normalize('NFC').replace(/\s+/g, ' ').trim().toLowerCase();
    const ids: number[] = [];
    for (const match of clean.matchAll(WORDS)) {
      const word = match[0];
      const special = this.vocab.get(word);
      if (word === SPECIAL_BOS || word === SPECIAL_EOS) {
        ids.push(special!);
        continue;
      }
      ids.push(...this.bpeIds(word));
    }
    return ids;
  }

  /** [bos, tokens…, eos] truncated (eos kept) and padded to `contextLength`. */
  encode(text: string, contextLength: number, padId = this.eosId): EncodedText {
    const body = this.tokenize(text).slice(0, Math.max(0, contextLength - 2));
    const ids = [this.bosId, ...body, this.eosId];
    const mask = ids.map(() => 1);
    while (ids.length < contextLength) {
      ids.push(padId);
      mask.push(0);
    }
    return { ids, mask };
  }

  private bpeIds(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const symbols = [...Buffer.from(word, 'utf8')].map((b) => BYTE_CHARS[b]!);
    symbols[symbols.length - 1] += END_OF_WORD;
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < symbols.length - 1; i++) {
        const r = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = symbols[best]!, b = symbols[best + 1]!;
      // Merge every occurrence of the pair, left to right (as the reference implementation does).
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i < symbols.length - 1 && symbols[i] === a && symbols[i + 1] === b) {
          merged.push(a + b);
          i++;
        } else merged.push(symbols[i]!);
      }
      symbols.splice(0, symbols.length, ...merged);
    }
    const ids = symbols.map((s) => this.vocab.get(s) ?? this.eosId);
    if (this.cache.size < 10_000) this.cache.set(word, ids);
    return ids;
  }
}
