import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import type { RgbImage } from '../imaging/types.js';
import { createDefaultExtractor } from './classic/default.extractor.js';
import { PooledExtractor, poolDefaultExtractor } from './extract-pool.js';
import type { FeatureExtractor } from './feature-extractor.js';

function image(seed: number, width: number, height: number): RgbImage {
  const data = Buffer.alloc(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = (s >>> 16) & 0xff;
  }
  // A bright square on the noise, so shape and colour blocks are not all noise.
  for (let y = height >> 2; y < (3 * height) >> 2; y++) {
    for (let x = width >> 2; x < (3 * width) >> 2; x++) data.fill(200 + (seed % 50), (y * width + x) * 3, (y * width + x) * 3 + 3);
  }
  return { data, width, height, channels: 3 };
}

describe('PooledExtractor', () => {
  let pool: PooledExtractor | null = null;
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it('returns exactly the in-process vectors, for concurrent requests spread over the workers', async () => {
    const local = createDefaultExtractor();
    pool = poolDefaultExtractor(local, 2);
    expect(pool).not.toBeNull();
    expect(pool!.identity).toEqual(local.identity);
    const images = [image(1, 64, 48), image(2, 300, 200), image(3, 17, 90), image(4, 512, 384), image(5, 128, 128)];
    const pooled = await Promise.all(images.map((img) => pool!.extract(img)));
    for (const [i, img] of images.entries()) {
      expect(Array.from(pooled[i]!)).toEqual(Array.from(await local.extract(img)));
    }
  });

  it('leaves the caller its pixels (ingest encodes them after extraction)', async () => {
    pool = poolDefaultExtractor(createDefaultExtractor(), 1);
    const img = image(7, 40, 30);
    const before = Buffer.from(img.data);
    await pool!.extract(img);
    expect(img.data.equals(before)).toBe(true);
  });

  it('fails requests after close() with an AppError', async () => {
    pool = poolDefaultExtractor(createDefaultExtractor(), 1);
    await pool!.extract(image(8, 20, 20));
    await pool!.close();
    await expect(pool!.extract(image(8, 20, 20))).rejects.toBeInstanceOf(AppError);
  });

  it('refuses to start workers whose extractor has another identity', async () => {
    const local = createDefaultExtractor();
    pool = new PooledExtractor({ ...local.identity, version: 'not-this-one' }, {
      module: new URL('./classic/default.extractor.ts', import.meta.url), exportName: 'createDefaultExtractor',
    }, { threads: 1 });
    await expect(pool.extract(image(9, 20, 20))).rejects.toThrow(/expected default@not-this-one/);
  });

  it('pools only the default extractor, and only with threads > 0', () => {
    const other: FeatureExtractor = {
      identity: { ...createDefaultExtractor().identity, name: 'fake' },
      extract: () => Promise.resolve(new Float32Array(4)),
    };
    expect(poolDefaultExtractor(other, 2)).toBeNull();
    expect(poolDefaultExtractor(createDefaultExtractor(), 0)).toBeNull();
  });

  it('tells search how large a query the pooled extractor needs (twice its 128 px square)', () => {
    pool = poolDefaultExtractor(createDefaultExtractor(), 1);
    expect(createDefaultExtractor().queryDecodeSide).toBe(256);
    expect(pool!.queryDecodeSide).toBe(256);
  });
});
