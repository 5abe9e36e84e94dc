import { describe, expect, it } from 'vitest';
import { tinyTokenizerJson } from '../../../test/fixtures/onnx/tiny-models.js';
import { byteLevelAlphabet, ClipTokenizer } from './clip-tokenizer.js';

// Ids in the tiny fixture (CLIP layout): printable ASCII c → c − 33; with "</w>" → 256 + that;
// merges from 512 in order (gr, ee, re, red</w>, gree, green</w>, bl, ue</w>, blue</w>, sh, oe, shoe, shoes</w>);
// <|startoftext|> 525, <|endoftext|> 526.
const BOS = 525, EOS = 526;
const tok = ClipTokenizer.fromTokenizerJson(tinyTokenizerJson().json);

describe('CLIP BPE tokenizer (tiny fixture, ids computed by hand)', () => {
  it('byte-level alphabet in CLIP order', () => {
    const a = byteLevelAlphabet();
    expect(a).toHaveLength(256);
    expect(a[0]).toBe('!');
    expect(a[93]).toBe('~');
    expect(a[94]).toBe('¡');
    expect(a[188]).toBe('Ā'); // byte 0 → U+0100, after the 188 printable bytes
  });

  it('lower-cases, collapses whitespace, applies ranked merges, adds bos/eos and pads', () => {
    expect(tok.encode('Red  SHOES!', 8)).toEqual({ ids: [BOS, 515, 524, 256, EOS, EOS, EOS, EOS], mask: [1, 1, 1, 1, 1, 0, 0, 0] });
    expect(tok.tokenize('green blue')).toEqual([517, 520]);
  });

  it('contractions, unknown merges and multi-byte characters fall back to byte symbols', () => {
    expect(tok.tokenize("x's")).toEqual([256 + 87, 6, 256 + 82]);
    expect(tok.tokenize('é')).toEqual([127, 256 + 102]); // UTF-8 C3 A9
  });

  it('truncates to the context length keeping eos', () => {
    expect(tok.encode('red red red red', 4).ids).toEqual([BOS, 515, 515, EOS]);
  });

  it('rejects a tokenizer that is not a CLIP BPE tokenizer', () => {
    expect(() => ClipTokenizer.fromTokenizerJson('{"model":{"type":"WordPiece"}}')).toThrow(expect.objectContaining({ code: 'INVALID_MODEL_MANIFEST' }));
    expect(() => ClipTokenizer.fromTokenizerJson('{"model":{"type":"BPE","vocab":{"a":0},"merges":[]}}')).toThrow(/startoftext/);
  });
});
