import { describe, expect, it } from 'vitest';
import { parsePrice, resolveImageLocation, splitImageList, toCatalogRow, toProductInput } from './product-fields.js';

describe('parsePrice', () => {
  it.each([
    ['12', 12],
    ['12.50', 12.5],
    ['0', 0],
    [' 7.05 ', 7.05],
    ['1,299.00', 1299],
    ['12,345,678.9', 12345678.9],
    [19.99, 19.99],
    [0, 0],
  ])('accepts %j', (input, expected) => {
    expect(parsePrice(input)).toEqual({ ok: true, price: expected });
  });

  it.each(['abc', '-5', 'NaN', 'Infinity', '1e3', '$12', '12 EUR', '12,50', '1.299,00', '.5', '5.', '1,299', '12,34.00', ''])(
    'rejects %j',
    (input) => {
      const r = parsePrice(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/bad price/);
    },
  );

  it('calls "1,299" ambiguous', () => {
    const r = parsePrice('1,299');
    expect(!r.ok && r.reason).toMatch(/ambiguous/);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('rejects the number %d', (n) => {
    expect(parsePrice(n).ok).toBe(false);
  });
});

describe('resolveImageLocation', () => {
  it('resolves relative paths against the base directory and normalises absolute ones', () => {
    expect(resolveImageLocation('img/a.jpg', '/cat')).toEqual({ ok: true, value: '/cat/img/a.jpg' });
    expect(resolveImageLocation('../a.jpg', '/cat/sub')).toEqual({ ok: true, value: '/cat/a.jpg' });
    expect(resolveImageLocation('/abs/./x/../a.png', '/cat')).toEqual({ ok: true, value: '/abs/a.png' });
  });

  it('keeps http(s) URLs as written', () => {
    expect(resolveImageLocation('https://cdn.example.com/a.jpg?w=1', '/cat')).toEqual({
      ok: true,
      value: 'https://cdn.example.com/a.jpg?w=1',
    });
    expect(resolveImageLocation('HTTP://example.com/a.jpg', '/cat').ok).toBe(true);
  });

  it.each(['file:///etc/passwd', 'ftp://host/a.jpg', 'data:image/png;base64,AAAA', 'javascript:alert(1)', 's3://bucket/a.jpg'])(
    'rejects %s',
    (loc) => {
      const r = resolveImageLocation(loc, '/cat');
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/unsupported image location/);
    },
  );

  it('rejects an http URL without a host', () => {
    expect(resolveImageLocation('http://', '/cat').ok).toBe(false);
  });
});

describe('splitImageList', () => {
  it('splits on | and drops blanks', () => {
    expect(splitImageList(' a.jpg | |b.jpg|')).toEqual(['a.jpg', 'b.jpg']);
    expect(splitImageList('')).toEqual([]);
  });
});

describe('toProductInput / toCatalogRow', () => {
  const base = { images: ['a.jpg'], attributes: {} };

  it('reports every problem of a row at once, with the id when known', () => {
    const r = toProductInput({ id: 'x', images: [], attributes: {}, price: 'cheap', currency: 'euros' }, '/c');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.id).toBe('x');
      expect(r.reason).toContain('missing title');
      expect(r.reason).toContain('no image');
      expect(r.reason).toContain('bad price');
      expect(r.reason).toContain('bad currency');
    }
    const noId = toProductInput({ title: 't', ...base }, '/c');
    expect(noId).toEqual({ ok: false, reason: 'missing id' });
  });

  it('upper-cases currency, drops duplicate images, nulls empty optional fields', () => {
    const r = toProductInput({ id: 'x', title: 'T', currency: 'eur', images: ['a.jpg', './a.jpg'], attributes: {} }, '/c');
    expect(r).toEqual({
      ok: true,
      product: { id: 'x', title: 'T', brand: null, category: null, price: null, currency: 'EUR', attributes: {}, images: ['/c/a.jpg'] },
    });
  });

  it('the second accepted row with an id is a duplicate; a rejected row does not claim its id', () => {
    const seen = new Set<string>();
    const bad = toCatalogRow(2, toProductInput({ id: 'x', ...base }, '/c'), seen); // no title
    expect(bad.ok).toBe(false);
    const first = toCatalogRow(3, toProductInput({ id: 'x', title: 'T', ...base }, '/c'), seen);
    expect(first.ok).toBe(true);
    const dup = toCatalogRow(4, toProductInput({ id: 'x', title: 'T2', ...base }, '/c'), seen);
    expect(dup).toMatchObject({ row: 4, ok: false, id: 'x', code: 'INVALID_CATALOG_ROW' });
    expect(!dup.ok && dup.reason).toMatch(/duplicate id/);
  });
});
