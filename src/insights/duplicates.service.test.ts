import { describe, expect, it } from 'vitest';
import type { Product } from '../domain/product.js';
import { groupProducts, type DuplicateEvidence } from './duplicates.service.js';

const ids = ['a', 'b', 'c', 'd'];
const products = new Map<string, Product>(ids.map((id, i) => [id, {
  id, title: id, brand: null, category: i === 1 ? 'shoes' : null, price: null, currency: null, attributes: {}, images: [],
  createdAt: `2026-01-0${i + 1}`, updatedAt: `2026-01-0${i + 1}`,
}]));
const images = ids.map((id) => ({ productId: id, sha256: id.repeat(64), width: 100, height: 100, position: 0 }));
const near = (a: string, b: string, differing = 0): DuplicateEvidence => ({ a, b, kind: 'near', distance: 0.01, differing });

describe('groupProducts (complete linkage)', () => {
  it('does not chain: a–b and b–c without a–c give one pair, not a group of three', () => {
    const groups = groupProducts([near('a', 'b'), near('b', 'c', 0.0001)], products, images);
    expect(groups.map((g) => g.products.map((p) => p.id))).toEqual([['a', 'b']]);
    expect(groups[0]!.evidence).toEqual([near('a', 'b')]);
  });

  it('groups products that are all duplicates of each other, and keeps the most complete record', () => {
    const groups = groupProducts([near('a', 'b'), near('b', 'c'), near('a', 'c'), { a: 'c', b: 'd', kind: 'same-file' }], products, images);
    // c–d (same file) is the strongest link and is taken first; a and b are not duplicates of d.
    expect(groups.map((g) => g.products.map((p) => p.id))).toEqual([['a', 'b'], ['c', 'd']]);
    expect(groups.find((g) => g.products.some((p) => p.id === 'a'))).toMatchObject({ kind: 'near', keep: 'b' });
    expect(groups.find((g) => g.products.some((p) => p.id === 'd'))).toMatchObject({ kind: 'exact' });
    const triangle = groupProducts([near('a', 'b'), near('b', 'c'), near('a', 'c')], products, images);
    expect(triangle.map((g) => g.products.map((p) => p.id))).toEqual([['a', 'b', 'c']]);
  });
});
