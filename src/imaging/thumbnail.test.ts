import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import { decodeImage, sniffImageFormat } from './decode.js';
import { DISPLAY_JPEG_QUALITY, encodeDisplayJpeg, makeDisplayImage } from './thumbnail.js';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures/images');
const fixture = (name: string) => readFile(join(FIXTURES, name));

describe('makeDisplayImage', () => {
  it('writes a JPEG with orientation applied and no EXIF left', async () => {
    const out = await makeDisplayImage(await fixture('exif-orientation-6.jpg'));
    expect(sniffImageFormat(out.jpeg)).toBe('jpeg');
    expect([out.width, out.height]).toEqual([32, 64]);
    const meta = await sharp(out.jpeg).metadata();
    expect([meta.width, meta.height]).toEqual([32, 64]);
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(meta.icc).toBeUndefined();
  });

  it('drops GPS and camera EXIF from a large photo and caps the longest side at 512', async () => {
    const photo = await sharp({ create: { width: 1600, height: 900, channels: 3, background: '#3366cc' } })
      .jpeg()
      .withExif({ IFD0: { Make: 'SecretCam', Model: 'X1' }, IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '51/1 30/1 0/1' } })
      .toBuffer();
    expect((await sharp(photo).metadata()).exif).toBeDefined();
    const out = await makeDisplayImage(photo);
    expect([out.width, out.height]).toEqual([512, 288]);
    expect((await sharp(out.jpeg).metadata()).exif).toBeUndefined();
    expect(out.jpeg.includes(Buffer.from('SecretCam'))).toBe(false);
  });

  it('flattens transparency onto white', async () => {
    const out = await makeDisplayImage(await fixture('alpha.png'));
    const img = await decodeImage(out.jpeg);
    const i = (16 * img.width + 28) * 3;
    expect(img.data[i]).toBeGreaterThan(245);
    expect(img.data[i + 1]).toBeGreaterThan(245);
    expect(img.data[i + 2]).toBeGreaterThan(245);
  });

  it('fails with the same codes as decoding', async () => {
    const codes = await Promise.all(
      ['empty.jpg', 'vector.svg', 'truncated.jpg', 'bomb-30000.png'].map(async (n) =>
        makeDisplayImage(await fixture(n)).then(() => 'ok', (e: unknown) => (e instanceof AppError ? e.code : String(e))),
      ),
    );
    expect(codes).toEqual(['EMPTY_IMAGE', 'UNSUPPORTED_IMAGE_TYPE', 'CORRUPT_IMAGE', 'IMAGE_TOO_LARGE']);
  });
});

describe('encodeDisplayJpeg', () => {
  it('stores the same pixels as the Huffman-optimised encoding ingest wrote before, in a plain JPEG', async () => {
    const img = await decodeImage(await fixture('gradient.jpg'));
    const jpeg = await encodeDisplayJpeg(img);
    expect(sniffImageFormat(jpeg)).toBe('jpeg');
    const optimised = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
      .jpeg({ quality: DISPLAY_JPEG_QUALITY, chromaSubsampling: '4:2:0' })
      .toBuffer();
    expect(jpeg.equals(optimised)).toBe(false); // other Huffman tables…
    const [a, b] = await Promise.all([jpeg, optimised].map((j) => sharp(j).raw().toBuffer()));
    expect(a!.equals(b!)).toBe(true); // …same decoded pixels
    const meta = await sharp(jpeg).metadata();
    expect([meta.width, meta.height, meta.exif, meta.icc]).toEqual([img.width, img.height, undefined, undefined]);
  });

  it('refuses pixels larger than a display copy', async () => {
    const big = { data: Buffer.alloc(600 * 10 * 3), width: 600, height: 10, channels: 3 as const };
    await expect(encodeDisplayJpeg(big)).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
  });
});
