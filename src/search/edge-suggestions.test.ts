import { describe, expect, it } from 'vitest';
import { withEdgeSuggestions } from './search.service.js';

const hit = (id: string, score: number) => ({ product: { id }, score });
const ids = (hits: readonly { product: { id: string } }[]): string[] => hits.map((h) => h.product.id);

describe('withEdgeSuggestions', () => {
  const ranked = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l'].map((id, i) => hit(id, 0.45 - i * 0.01));

  it('keeps the first five and lists the suggested products next, in their order, then the rest', () => {
    expect(ids(withEdgeSuggestions(ranked, ['k', 'h', 'c', 'x']))).toEqual(['a', 'b', 'c', 'd', 'e', 'k', 'h', 'f', 'g', 'i', 'j', 'l']);
  });

  it('changes nothing without suggestions, when the first hit is exact, or when every suggestion is already among the first five', () => {
    expect(ids(withEdgeSuggestions(ranked, []))).toEqual(ids(ranked));
    const exact = [hit('z', 0.7), ...ranked];
    expect(ids(withEdgeSuggestions(exact, ['k']))).toEqual(ids(exact));
    expect(ids(withEdgeSuggestions(ranked, ['b', 'e']))).toEqual(ids(ranked));
  });

  it('lists a suggestion after a short ranking, and never twice', () => {
    const short = ranked.slice(0, 3);
    expect(ids(withEdgeSuggestions([...short, hit('s', 0.1)], ['s']))).toEqual(['a', 'b', 'c', 's']);
    expect(ids(withEdgeSuggestions(ranked, ['k', 'k']))).toEqual(['a', 'b', 'c', 'd', 'e', 'k', 'f', 'g', 'h', 'i', 'j', 'l']);
  });
});
