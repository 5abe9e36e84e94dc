import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../domain/errors.js';
import { readCatalog } from './catalog-reader.js';
import type { CatalogRow } from './catalog-row.js';
import { readCsvCatalog } from './csv.reader.js';
import { titleFromFileName } from './folder.reader.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'shoplens-readers-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(rel: string, content: string | Buffer): Promise<string> {
  const file = path.join(dir, rel);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return file;
}

async function collect(location: string): Promise<CatalogRow[]> {
  const rows: CatalogRow[] = [];
  for await (const r of readCatalog(location)) rows.push(r);
  return rows;
}

async function readError(location: string): Promise<AppError> {
  try {
    await collect(location);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error('expected the read to fail');
}

function good(rows: CatalogRow[]) {
  return rows.flatMap((r) => (r.ok ? [{ row: r.row, ...r.product }] : []));
}
function bad(rows: CatalogRow[]) {
  return rows.flatMap((r) => (r.ok ? [] : [{ row: r.row, id: r.id, reason: r.reason }]));
}

describe('readCatalog dispatch', () => {
  it('missing location -> CATALOG_NOT_FOUND', async () => {
    expect((await readError(path.join(dir, 'nope.csv'))).code).toBe('CATALOG_NOT_FOUND');
    expect((await readError(path.join(dir, 'nope'))).code).toBe('CATALOG_NOT_FOUND');
  });

  it('unknown extension -> UNSUPPORTED_CATALOG_FORMAT', async () => {
    const file = await write('catalog.xlsx', 'x');
    const err = await readError(file);
    expect(err.code).toBe('UNSUPPORTED_CATALOG_FORMAT');
    expect(err.message).toContain('.xlsx');
  });

  it('dispatches on extension case-insensitively (.CSV, .ndjson)', async () => {
    const csv = await write('A.CSV', 'id,title,image\n1,One,a.jpg\n');
    const ndjson = await write('b.ndjson', '{"id":"1","title":"One","image":"a.jpg"}\n');
    expect(good(await collect(csv)).map((p) => p.id)).toEqual(['1']);
    expect(good(await collect(ndjson)).map((p) => p.id)).toEqual(['1']);
  });
});

describe('CSV catalogs', () => {
  it('reads products with case-insensitive columns, a BOM, attributes and resolved images', async () => {
    const file = await write(
      'shop/catalog.csv',
      '\uFEFFID,Title,Brand,CATEGORY,Price,Currency,Images,Color,Material,\n' +
        'p1,Red shoe,Acme,shoes,12.50,eur,img/p1.jpg|/abs/p1b.jpg|https://cdn.example.com/p1c.jpg,red,,\n' +
        'p2,"Bag, large",,bags,"1,299.00",,../p2.png,,leather,\n',
    );
    const rows = await collect(file);
    expect(bad(rows)).toEqual([]);
    expect(good(rows)).toEqual([
      {
        row: 2,
        id: 'p1',
        title: 'Red shoe',
        brand: 'Acme',
        category: 'shoes',
        price: 12.5,
        currency: 'EUR',
        attributes: { color: 'red' },
        images: [path.join(dir, 'shop/img/p1.jpg'), '/abs/p1b.jpg', 'https://cdn.example.com/p1c.jpg'],
      },
      {
        row: 3,
        id: 'p2',
        title: 'Bag, large',
        brand: null,
        category: 'bags',
        price: 1299,
        currency: null,
        attributes: { material: 'leather' },
        images: [path.join(dir, 'p2.png')],
      },
    ]);
  });

  it.each(['image', 'images', 'image_url', 'IMAGE_PATH'])('accepts %s as the image column', async (col) => {
    const file = await write('c.csv', `id,title,${col}\n1,One,a.jpg\n`);
    expect(good(await collect(file))[0]!.images).toEqual([path.join(dir, 'a.jpg')]);
  });

  it('reports every kind of bad row with spreadsheet row numbers and keeps going', async () => {
    const file = await write(
      'c.csv',
      [
        'id,title,image,price', // row 1
        'ok1,Fine,a.jpg,1', // 2
        ',No id,a.jpg,1', // 3
        'noTitle,,a.jpg,1', // 4
        'noImage,No image,,1', // 5
        'badPrice,Bad price,a.jpg,abc', // 6
        'negPrice,Negative,a.jpg,-3', // 7
        'nanPrice,NaN,a.jpg,NaN', // 8
        'ambig,Ambiguous,a.jpg,"1,299"', // 9
        'fileUrl,File URL,file:///etc/passwd,1', // 10
        'ftp,FTP,ftp://host/x.jpg|b.jpg,1', // 11
        'ok1,Duplicate,b.jpg,2', // 12
        'short,Too few', // 13
        'long,Too many,a.jpg,1,extra', // 14
        '', // 15: blank row: counted, produces nothing
        '"multi","Two', // 16: one record over two lines
        'lines",m.jpg,3',
        'ok2,After,c.jpg,', // 17
      ].join('\n') + '\n',
    );
    const rows = await collect(file);
    expect(rows.map((r) => r.row)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17]);
    expect(good(rows).map((p) => [p.row, p.id, p.title, p.price])).toEqual([
      [2, 'ok1', 'Fine', 1],
      [16, 'multi', 'Two\nlines', 3],
      [17, 'ok2', 'After', null],
    ]);
    const reasons = new Map(bad(rows).map((b) => [b.row, b]));
    expect(reasons.get(3)).toEqual({ row: 3, id: undefined, reason: 'missing id' });
    expect(reasons.get(4)).toEqual({ row: 4, id: 'noTitle', reason: 'missing title' });
    expect(reasons.get(5)).toEqual({ row: 5, id: 'noImage', reason: 'no image' });
    expect(reasons.get(6)!.reason).toMatch(/^bad price "abc"/);
    expect(reasons.get(7)!.reason).toMatch(/^bad price "-3"/);
    expect(reasons.get(8)!.reason).toMatch(/^bad price "NaN"/);
    expect(reasons.get(9)!.reason).toMatch(/ambiguous/);
    expect(reasons.get(10)!.reason).toMatch(/unsupported image location "file:/);
    expect(reasons.get(11)!.reason).toMatch(/unsupported image location "ftp:/);
    expect(reasons.get(12)).toEqual({ row: 12, id: 'ok1', reason: 'duplicate id "ok1": already defined by an earlier row' });
    expect(reasons.get(13)).toEqual({ row: 13, id: 'short', reason: 'malformed CSV row: expected 4 columns, found 2' });
    expect(reasons.get(14)).toEqual({ row: 14, id: 'long', reason: 'malformed CSV row: expected 4 columns, found 5' });
    for (const r of rows) if (!r.ok) expect(r.code).toBe('INVALID_CATALOG_ROW');
  });

  it('takes stray quotes literally and reports a never-closed quote as one bad row at the end', async () => {
    const file = await write(
      'c.csv',
      'id,title,image\n' + 'a,15" laptop,a.jpg\n' + 'b,"Quoted"tail,b.jpg\n' + 'c,"never closed,c.jpg\n' + 'd,D,d.jpg\n',
    );
    const rows = await collect(file);
    expect(good(rows).map((p) => [p.row, p.title])).toEqual([
      [2, '15" laptop'],
      [3, '"Quoted"tail'],
    ]);
    expect(bad(rows)).toEqual([
      { row: 4, id: undefined, reason: expect.stringMatching(/never closed/) as unknown as string },
    ]);
  });

  it('CRLF line endings work', async () => {
    const file = await write('c.csv', 'id,title,image\r\n1,One,a.jpg\r\n2,Two,b.jpg\r\n');
    expect(good(await collect(file)).map((p) => [p.row, p.id, p.images[0]])).toEqual([
      [2, '1', path.join(dir, 'a.jpg')],
      [3, '2', path.join(dir, 'b.jpg')],
    ]);
  });

  it('a header missing required columns is one clear error', async () => {
    const file = await write('c.csv', 'ID,name,picture\n1,One,a.jpg\n');
    const err = await readError(file);
    expect(err.code).toBe('INVALID_CATALOG_ROW');
    expect(err.message).toMatch(/missing required column\(s\): title, image/);
    expect(err.details).toMatchObject({ row: 1, missing: ['title', 'image'] });
  });

  it('a header repeating a column (case-insensitively) is an error', async () => {
    const file = await write('c.csv', 'id,title,image,Color,color\n1,One,a.jpg,r,g\n');
    const err = await readError(file);
    expect(err.code).toBe('INVALID_CATALOG_ROW');
    expect(err.message).toMatch(/repeats column/);
  });

  it('an empty file is an error (header required)', async () => {
    const file = await write('c.csv', '');
    expect((await readError(file)).code).toBe('INVALID_CATALOG_ROW');
  });

  it('a header-only file yields no rows', async () => {
    const file = await write('c.csv', 'id,title,image\n');
    expect(await collect(file)).toEqual([]);
  });

  it('stops reading when the consumer stops (streaming, no full load)', async () => {
    const lines = ['id,title,image'];
    for (let i = 0; i < 20_000; i++) lines.push(`p${i},Product ${i},img/${i}.jpg`);
    const file = await write('big.csv', lines.join('\n'));
    const seen: number[] = [];
    for await (const r of readCsvCatalog(file)) {
      seen.push(r.row);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([2, 3, 4]);
  });
});

describe('JSONL catalogs', () => {
  it('reads objects with arrays, attributes and numeric or string prices; skips blank lines', async () => {
    const file = await write(
      'feed/catalog.jsonl',
      [
        JSON.stringify({ id: 'a', title: 'A', images: ['x.jpg', 'https://h.example/y.jpg'], price: 3.5, attributes: { Color: 'red', size: 42, empty: '' } }),
        '',
        '   ',
        JSON.stringify({ ID: 7, Title: 'Seven', image: 'a.jpg|b.jpg', price: '1,299.00', currency: 'usd', brand: 'Acme', season: 'summer', sale: true }),
      ].join('\n'),
    );
    const rows = await collect(file);
    expect(bad(rows)).toEqual([]);
    expect(good(rows)).toEqual([
      {
        row: 1, id: 'a', title: 'A', brand: null, category: null, price: 3.5, currency: null,
        attributes: { color: 'red', size: '42' },
        images: [path.join(dir, 'feed/x.jpg'), 'https://h.example/y.jpg'],
      },
      {
        row: 4, id: '7', title: 'Seven', brand: 'Acme', category: null, price: 1299, currency: 'USD',
        attributes: { season: 'summer', sale: 'true' },
        images: [path.join(dir, 'feed/a.jpg'), path.join(dir, 'feed/b.jpg')],
      },
    ]);
  });

  it('reports bad lines with their line numbers', async () => {
    const file = await write(
      'c.jsonl',
      '\uFEFF' +
        [
          JSON.stringify({ id: 'ok', title: 'OK', image: 'a.jpg' }), // 1
          '{"id": "broken", ', // 2
          '[1,2]', // 3
          JSON.stringify({ id: 'np', title: 'No price', image: 'a.jpg', price: -1 }), // 4
          JSON.stringify({ id: 'ni', title: 'No image', images: [] }), // 5
          JSON.stringify({ id: 'bi', title: 'Bad images', images: [1, 2] }), // 6
          JSON.stringify({ id: 'ba', title: 'Bad attrs', image: 'a.jpg', attributes: { nested: { x: 1 } } }), // 7
          JSON.stringify({ id: 'ok', title: 'Dup', image: 'b.jpg' }), // 8
          JSON.stringify({ id: 'bp', title: 'Bad price type', image: 'a.jpg', price: { v: 1 } }), // 9
          JSON.stringify({ id: 'du', title: 'Data URL', image: 'data:image/png;base64,AAAA' }), // 10
          JSON.stringify({ title: 'No id', image: 'a.jpg' }), // 11
        ].join('\n') +
        '\n',
    );
    const rows = await collect(file);
    expect(good(rows).map((p) => [p.row, p.id])).toEqual([[1, 'ok']]);
    const b = bad(rows);
    expect(b.map((x) => x.row)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const byRow = new Map(b.map((x) => [x.row, x]));
    expect(byRow.get(2)!.reason).toMatch(/^invalid JSON/);
    expect(byRow.get(3)!.reason).toBe('expected a JSON object, found an array');
    expect(byRow.get(4)).toMatchObject({ id: 'np', reason: expect.stringMatching(/bad price/) as unknown });
    expect(byRow.get(5)).toMatchObject({ id: 'ni', reason: 'no image' });
    expect(byRow.get(6)!.reason).toMatch(/must be a string or an array of strings/);
    expect(byRow.get(7)!.reason).toMatch(/attribute "nested"/);
    expect(byRow.get(8)!.reason).toMatch(/duplicate id "ok"/);
    expect(byRow.get(9)!.reason).toMatch(/bad price/);
    expect(byRow.get(10)!.reason).toMatch(/unsupported image location "data:/);
    expect(byRow.get(11)).toEqual({ row: 11, id: undefined, reason: 'missing id' });
  });
});

describe('folder catalogs', () => {
  it('one product per image, recursively, sorted, with category from the first-level folder', async () => {
    await write('shoes/red-sneaker.jpg', 'x');
    await write('shoes/running/blue_trail-runner.PNG', 'x');
    await write('bags/tote.webp', 'x');
    await write('top-level.gif', 'x');
    await write('hats/b.avif', 'x');
    await write('hats/a.jpeg', 'x');
    await write('shoes/notes.txt', 'not an image');
    await write('.hidden/secret.jpg', 'x');
    await write('shoes/.thumb.jpg', 'x');
    const rows = await collect(dir);
    expect(bad(rows)).toEqual([]);
    expect(good(rows).map((p) => [p.row, p.id, p.title, p.category, p.images[0]])).toEqual([
      [1, 'bags/tote', 'Tote', 'bags', path.join(dir, 'bags/tote.webp')],
      [2, 'hats/a', 'A', 'hats', path.join(dir, 'hats/a.jpeg')],
      [3, 'hats/b', 'B', 'hats', path.join(dir, 'hats/b.avif')],
      [4, 'shoes/red-sneaker', 'Red sneaker', 'shoes', path.join(dir, 'shoes/red-sneaker.jpg')],
      [5, 'shoes/running/blue_trail-runner', 'Blue trail runner', 'shoes', path.join(dir, 'shoes/running/blue_trail-runner.PNG')],
      [6, 'top-level', 'Top level', null, path.join(dir, 'top-level.gif')],
    ]);
    for (const p of good(rows)) {
      expect([p.brand, p.price, p.currency, p.attributes]).toEqual([null, null, null, {}]);
    }
  });

  it('two files differing only in extension: the second is a duplicate id', async () => {
    await write('a.jpg', 'x');
    await write('a.png', 'x');
    const rows = await collect(dir);
    expect(rows.map((r) => [r.row, r.ok])).toEqual([
      [1, true],
      [2, false],
    ]);
    expect(bad(rows)[0]!.reason).toMatch(/duplicate id "a"/);
  });

  it('follows symlinked files, not symlinked directories', async () => {
    const target = await write('real/x.jpg', 'x');
    await symlink(target, path.join(dir, 'real', 'link.jpg'));
    await symlink(path.join(dir, 'real'), path.join(dir, 'loop'));
    const ids = good(await collect(dir)).map((p) => p.id);
    expect(ids).toEqual(['real/link', 'real/x']);
  });

  it('an empty folder yields nothing', async () => {
    expect(await collect(dir)).toEqual([]);
  });

  it.each([
    ['red-sneaker', 'Red sneaker'],
    ['blue__trail--runner', 'Blue trail runner'],
    ['été_robe', 'Été robe'],
    ['_', '_'],
  ])('titleFromFileName(%j) = %j', (input, expected) => {
    expect(titleFromFileName(input)).toBe(expected);
  });
});
