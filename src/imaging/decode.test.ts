import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { AppError, type ErrorCode } from '../domain/errors.js';
import { decodeImage, readImageHeader, sniffImageFormat } from './decode.js';
import type { RgbImage } from './types.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/images');
const fixture = (name: string) => readFile(join(FIXTURES, name));

function pixel(img: RgbImage, x: number, y: number): [number, number, number] {
  const i = (y * img.width + x) * 3;
  return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
}

function expectClose(actual: number[], expected: number[], tol: number): void {
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]!), `channel ${i}: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(tol));
}

async function expectCode(p: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  const err: unknown = await p.then(
    () => { throw new Error(`expected AppError ${code}, got success`); },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

describe('sniffImageFormat', () => {
  it.each([
    ['solid-red.png', 'png'],
    ['gradient.jpg', 'jpeg'],
    ['two-frames.gif', 'gif'],
    ['quadrants.webp', 'webp'],
    ['quadrants.avif', 'avif'],
    ['not-an-image.jpg', null],
    ['vector.svg', null],
    ['sample.tiff', null],
    ['sample.bmp', null],
    ['empty.jpg', null],
  ])('%s → %s', async (name, format) => {
    expect(sniffImageFormat(await fixture(name))).toBe(format);
  });

  it('rejects HEIC (ISO-BMFF without an AVIF brand)', () => {
    const heic = Buffer.from('00000018667479706865696300000000686569636d696631', 'hex');
    expect(sniffImageFormat(heic)).toBeNull();
  });
});

describe('decodeImage: good fixtures', () => {
  it('solid red PNG → 32×32 of (255,0,0)', async () => {
    const img = await decodeImage(await fixture('solid-red.png'));
    expect([img.width, img.height, img.channels]).toEqual([32, 32, 3]);
    expect(img.data.length).toBe(32 * 32 * 3);
    expect([...img.data].filter((v, i) => v !== [255, 0, 0][i % 3]).length).toBe(0);
  });

  it('checkerboard PNG keeps its 8 px squares', async () => {
    const img = await decodeImage(await fixture('checkerboard.png'));
    expect([img.width, img.height]).toEqual([64, 64]);
    expect(pixel(img, 3, 3)).toEqual([0, 0, 0]);
    expect(pixel(img, 11, 3)).toEqual([255, 255, 255]);
    expect(pixel(img, 11, 11)).toEqual([0, 0, 0]);
  });

  it('gradient JPEG decodes with its gradient', async () => {
    const img = await decodeImage(await fixture('gradient.jpg'));
    expect([img.width, img.height]).toEqual([96, 64]);
    expect(pixel(img, 95, 32)[0]).toBeGreaterThan(pixel(img, 0, 32)[0] + 200);
    expect(pixel(img, 48, 63)[2]).toBeGreaterThan(pixel(img, 48, 0)[2] + 200);
  });

  it('applies EXIF orientation 6: stored 64×32 red|blue becomes 32×64 red over blue', async () => {
    const bytes = await fixture('exif-orientation-6.jpg');
    const header = await readImageHeader(bytes);
    expect([header.width, header.height, header.orientation]).toEqual([64, 32, 6]);
    const img = await decodeImage(bytes);
    expect([img.width, img.height]).toEqual([32, 64]);
    expect([img.originalWidth, img.originalHeight]).toEqual([32, 64]);
    const small = await decodeImage(bytes, undefined, { maxSide: 16 });
    expect([small.width, small.height, small.originalWidth, small.originalHeight]).toEqual([8, 16, 32, 64]);
    expectClose(pixel(img, 16, 8), [255, 0, 0], 12);
    expectClose(pixel(img, 16, 56), [0, 0, 255], 12);
  });

  it('flattens transparency onto white', async () => {
    const img = await decodeImage(await fixture('alpha.png'));
    expect(img.channels).toBe(3);
    expect(img.data.length).toBe(32 * 32 * 3);
    expect(pixel(img, 4, 16)).toEqual([0, 255, 0]);
    expect(pixel(img, 28, 16)).toEqual([255, 255, 255]);
  });

  it('keeps only the first GIF frame', async () => {
    const img = await decodeImage(await fixture('two-frames.gif'));
    expect([img.width, img.height]).toEqual([16, 16]);
    expectClose(pixel(img, 8, 8), [255, 0, 0], 8);
  });

  it.each(['quadrants.webp', 'quadrants.avif'])('%s decodes with its four quadrants', async (name) => {
    const img = await decodeImage(await fixture(name));
    expect([img.width, img.height]).toEqual([40, 30]);
    expectClose(pixel(img, 5, 5), [255, 0, 0], 40);
    expectClose(pixel(img, 35, 5), [0, 255, 0], 40);
    expectClose(pixel(img, 5, 25), [0, 0, 255], 40);
    expectClose(pixel(img, 35, 25), [255, 255, 0], 40);
  });

  it('downscales to maxSide keeping the aspect ratio, never upscales', async () => {
    const bytes = await fixture('gradient.jpg');
    const small = await decodeImage(bytes, undefined, { maxSide: 48 });
    expect([small.width, small.height]).toEqual([48, 32]);
    const same = await decodeImage(bytes, undefined, { maxSide: 1000 });
    expect([same.width, same.height]).toEqual([96, 64]);
  });

  it('largeImageSide reduces only images larger than maxSide, to that side', async () => {
    const bytes = await fixture('gradient.jpg'); // 96×64
    const large = await decodeImage(bytes, undefined, { maxSide: 80, largeImageSide: 48 });
    expect([large.width, large.height, large.originalWidth, large.originalHeight]).toEqual([48, 32, 96, 64]);
    // Not larger than maxSide: decoded exactly as without the option (catalog images stay comparable).
    const kept = await decodeImage(bytes, undefined, { maxSide: 100, largeImageSide: 48 });
    const plain = await decodeImage(bytes, undefined, { maxSide: 100 });
    expect([kept.width, kept.height]).toEqual([96, 64]);
    expect(kept.data.equals(plain.data)).toBe(true);
    // A largeImageSide at or above maxSide (or maxSide 0 = full size) changes nothing.
    expect((await decodeImage(bytes, undefined, { maxSide: 80, largeImageSide: 200 })).width).toBe(80);
    expect((await decodeImage(bytes, undefined, { maxSide: 0, largeImageSide: 48 })).width).toBe(96);
  });

  it('reduces a large JPEG to largeImageSide using orientation-corrected sizes', async () => {
    const bytes = await fixture('exif-orientation-6.jpg'); // stored 64×32, shown 32×64
    const img = await decodeImage(bytes, undefined, { maxSide: 40, largeImageSide: 16 });
    expect([img.width, img.height]).toEqual([8, 16]);
  });

  it('defaults to a 512 px longest side and converts grey and 16-bit input to 8-bit RGB', async () => {
    const grey16 = await sharp(Buffer.alloc(1200 * 600 * 2, 0x80), { raw: { width: 1200, height: 600, channels: 1 } })
      .toColourspace('grey16')
      .png()
      .toBuffer();
    const img = await decodeImage(grey16);
    expect([img.width, img.height, img.channels]).toEqual([512, 256, 3]);
    expect(img.data.length).toBe(512 * 256 * 3);
  });
});

describe('decodeImage: bad input → stable codes', () => {
  it('0 bytes → EMPTY_IMAGE', async () => {
    await expectCode(decodeImage(await fixture('empty.jpg')), 'EMPTY_IMAGE');
  });

  it.each(['not-an-image.jpg', 'vector.svg', 'sample.tiff', 'sample.bmp'])('%s → UNSUPPORTED_IMAGE_TYPE', async (name) => {
    await expectCode(decodeImage(await fixture(name)), 'UNSUPPORTED_IMAGE_TYPE');
  });

  it('truncated JPEG → CORRUPT_IMAGE with the decoder error as cause', async () => {
    const err = await expectCode(decodeImage(await fixture('truncated.jpg')), 'CORRUPT_IMAGE');
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('PNG whose IHDR claims 30000×30000 → IMAGE_TOO_LARGE before decoding', async () => {
    const bytes = await fixture('bomb-30000.png');
    expect(bytes.length).toBeLessThan(1024);
    const err = await expectCode(decodeImage(bytes), 'IMAGE_TOO_LARGE');
    expect(err.details).toEqual({ width: 30000, height: 30000, maxPixels: 40_000_000 });
    await expectCode(readImageHeader(bytes), 'IMAGE_TOO_LARGE');
  });

  it('respects caller limits for bytes and pixels', async () => {
    const bytes = await fixture('checkerboard.png');
    const bySize = await expectCode(decodeImage(bytes, { maxBytes: 100 }), 'IMAGE_TOO_LARGE');
    expect(bySize.details).toMatchObject({ maxBytes: 100 });
    const byPixels = await expectCode(decodeImage(bytes, { maxPixels: 64 * 64 - 1 }), 'IMAGE_TOO_LARGE');
    expect(byPixels.details).toEqual({ width: 64, height: 64, maxPixels: 64 * 64 - 1 });
    await expect(decodeImage(bytes, { maxPixels: 64 * 64 })).resolves.toMatchObject({ width: 64 });
  });

  it('a valid signature followed by garbage → CORRUPT_IMAGE', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 0xab)]);
    await expectCode(decodeImage(png), 'CORRUPT_IMAGE');
    await expectCode(decodeImage(Buffer.from([0xff, 0xd8, 0xff])), 'CORRUPT_IMAGE');
    await expectCode(decodeImage(Buffer.from('GIF89a')), 'CORRUPT_IMAGE');
  });

  it('never throws anything but AppError on random bytes after a valid signature', async () => {
    let seed = 1;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) >> 8) & 0xff;
    const heads = [[0xff, 0xd8, 0xff], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], [...Buffer.from('GIF89a')]];
    for (let t = 0; t < 30; t++) {
      const head = heads[t % heads.length]!;
      const body = Buffer.from(Array.from({ length: 20 + t * 13 }, rnd));
      const err: unknown = await decodeImage(Buffer.concat([Buffer.from(head), body])).catch((e: unknown) => e);
      if (!(err instanceof AppError)) expect.fail(`input ${t} produced ${String(err)}`);
    }
  });
});
