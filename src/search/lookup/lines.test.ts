import { describe, expect, it } from 'vitest';
import { arrow, arrowHeadOutline, disc, outlinedArrow, pear, ring } from '../../../test/factories/drawings.js';
import { flagImage, relit, stripes, type Rgb } from '../../../test/factories/flags.js';
import { decodeLocalFeatures, encodeLocalFeatures, type LocalFeatures } from '../../features/local/local-features.js';
import { findBackdrop } from '../../imaging/backdrop.js';
import { decodeImage, encodeJpeg } from '../../imaging/index.js';
import type { RgbImage } from '../../imaging/types.js';
import { DEFAULT_LINE_OPTIONS, LineIndex, lineTemplates, nativeLine, NO_LINE_TEMPLATES, type CollageSource, type LineCalibration } from './lines.js';

const DRAWINGS: Record<string, (u: number, v: number) => Rgb | null> = {
  arrow: outlinedArrow([30, 30, 30], 0.02),
  ring: ring([40, 90, 200], 0.03),
  head: arrowHeadOutline([200, 30, 30], 0.45, 0.02),
  pear: pear([120, 190, 40], [210, 235, 130], [90, 40, 10]),
};
const NAMES = Object.keys(DRAWINGS);

function catalogueImage(name: string): RgbImage {
  return flagImage(400, 400, DRAWINGS[name]!, { cx: 200, cy: 200, width: 340, height: 340, turn: 0 }, 'white');
}

/** A shopper's photo of the drawing: turned, about half the frame, on a cluttered table, other light, JPEG 45. */
async function photo(name: string, turn: number, side = 240): Promise<RgbImage> {
  const scene = relit(flagImage(640, 480, DRAWINGS[name]!, { cx: 330, cy: 230, width: side, height: side, turn }, 'table', 3), [0.85, 0.8, 0.9], [10, 5, -5]);
  return decodeImage(await encodeJpeg(scene, { quality: 45 }));
}

function templatesOf(name: string): Uint8Array {
  const img = catalogueImage(name);
  const blob = lineTemplates(img, findBackdrop(img).mask);
  if (!blob || blob.length <= NO_LINE_TEMPLATES.length) throw new Error(`no templates for ${name}`);
  return blob;
}

// The addon is built by `npm install` when OpenCV's contrib headers are there (CI installs them).
const built = nativeLine() !== null;
if (process.env.CI && !built) throw new Error('CI must build native/opencv-line (apt-get install libopencv-contrib-dev)');

describe.skipIf(!built)('LINE-2D templates (native/opencv-line)', () => {
  it('makes one template per size and turn of a product on a plain backdrop, none of a blank image or one without a backdrop', () => {
    const blob = templatesOf('arrow');
    expect(blob[0]! | (blob[1]! << 8)).toBe(DEFAULT_LINE_OPTIONS.sizes.length * DEFAULT_LINE_OPTIONS.turns.length);
    const blank = flagImage(200, 200, () => null, { cx: 100, cy: 100, width: 100, height: 100, turn: 0 }, 'white');
    expect(lineTemplates(blank, findBackdrop(blank).mask)).toEqual(NO_LINE_TEMPLATES);
    expect(lineTemplates(catalogueImage('ring'), null)).toEqual(NO_LINE_TEMPLATES);
    // A blob of no templates adds no product.
    expect(new LineIndex([{ key: 1, line: NO_LINE_TEMPLATES }]).size).toBe(0);
  });

  it('finds line drawings, outlines and a filled drawing in cluttered, turned, relit JPEG photos, first among the others', async () => {
    const index = new LineIndex(NAMES.map((n, i) => ({ key: 10 + i, line: templatesOf(n) })));
    expect(index.size).toBe(NAMES.length);
    expect(index.memoryBytes).toBeGreaterThan(0);
    for (const [name, turn, side] of [['arrow', 20, 260], ['ring', -10, 220], ['head', -25, 300], ['pear', 12, 240]] as const) {
      const p = await photo(name, turn, side);
      const found = await index.match(p, DEFAULT_LINE_OPTIONS);
      expect(found[0]?.key, name).toBe(10 + NAMES.indexOf(name));
      expect(found[0]!.similarity).toBeGreaterThan(85);
      // Its place in the photo: the drawing's centre (330, 230 of 640 × 480) inside the box.
      const b = found[0]!.box;
      expect(330 / 640).toBeGreaterThan(b.x);
      expect(330 / 640).toBeLessThan(b.x + b.width);
      expect(230 / 480).toBeGreaterThan(b.y);
      expect(230 / 480).toBeLessThan(b.y + b.height);
      // A shopper's filter leaves it out.
      const filtered = await index.match(p, DEFAULT_LINE_OPTIONS, (key) => key !== 10 + NAMES.indexOf(name));
      expect(filtered.some((m) => m.key === 10 + NAMES.indexOf(name))).toBe(false);
    }
  });

  it('a photo of none of them places none of them well; filters that accept nothing and tiny photos find nothing', async () => {
    const index = new LineIndex(['arrow', 'ring'].map((n, i) => ({ key: i + 1, line: templatesOf(n) })));
    const other = await photo('pear', 0);
    const found = await index.match(other, DEFAULT_LINE_OPTIONS);
    expect(found.every((m) => m.similarity < 90)).toBe(true);
    expect(await index.match(other, DEFAULT_LINE_OPTIONS, () => false)).toEqual([]);
    const tiny: RgbImage = { data: Buffer.alloc(8 * 8 * 3, 128), width: 8, height: 8, channels: 3 };
    expect(await index.match(tiny, DEFAULT_LINE_OPTIONS)).toEqual([]);
  });

  it("calibrates each product against collages of other products: round discs raise a ring's chance, not an arrow's", async () => {
    const others: ((u: number, v: number) => Rgb | null)[] = [disc([200, 40, 40], [250, 220, 60]), disc([30, 120, 200], [240, 240, 240]), disc([40, 160, 60], [20, 20, 20]), pear([200, 170, 40], [240, 220, 120], [90, 40, 10]), arrow([60, 60, 200], [240, 240, 240]), stripes([[200, 30, 30], [240, 240, 240], [30, 30, 200]])];
    const sources: CollageSource[] = others.map((f) => {
      const image = flagImage(160, 160, f, { cx: 80, cy: 80, width: 130, height: 130, turn: 0 }, 'white');
      return { image, mask: findBackdrop(image).mask.map((b) => (b ? 0 : 255)) };
    });
    const index = new LineIndex(['arrow', 'ring'].map((n, i) => ({ key: i + 1, line: templatesOf(n) })));
    const o = { ...DEFAULT_LINE_OPTIONS, calibration: { ...DEFAULT_LINE_OPTIONS.calibration, collages: 60 } };
    const progress: number[] = [];
    const chance = await index.calibrate(sources, o, (done, total) => progress.push(done / total));
    expect([...chance.keys()].sort()).toEqual([1, 2]);
    const arrowChance = chance.get(1)!, ringChance = chance.get(2)!;
    // A product placed nowhere above the threshold scores the threshold.
    expect(arrowChance.mean).toBeGreaterThanOrEqual(o.threshold);
    expect(ringChance.mean).toBeGreaterThan(arrowChance.mean + 2);
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(1);
    // The same collages, the same figures; other collages (another seed), others.
    expect(await index.calibrate(sources, o)).toEqual(chance);
    expect(await index.calibrate(sources, { ...o, calibration: { ...o.calibration, seed: 2 } })).not.toEqual(chance);
    // Nothing to calibrate against, nothing calibrated.
    expect((await index.calibrate([], o)).size).toBe(0);
  });

  it("ranks placements by how far they rise above their product's chance, and suggests none that does not rise enough", async () => {
    const p = await photo('ring', -10, 220);
    const ringOnly = (c?: LineCalibration): LineIndex => new LineIndex([{ key: 2, line: templatesOf('ring'), ...(c ? { calibration: c } : {}) }]);
    const [plain] = await ringOnly().match(p, DEFAULT_LINE_OPTIONS);
    // Without calibrations: the threshold is the chance, so the score is the similarity above it.
    expect(plain!.score).toBeCloseTo(plain!.similarity - DEFAULT_LINE_OPTIONS.threshold, 5);
    const [calibrated] = await ringOnly({ mean: 80, sd: 4 }).match(p, DEFAULT_LINE_OPTIONS);
    expect(calibrated!.score).toBeCloseTo((calibrated!.similarity - 80) / 4, 5);
    // A product whose templates score as much anywhere is not suggested.
    expect(await ringOnly({ mean: plain!.similarity, sd: 1 }).match(p, DEFAULT_LINE_OPTIONS)).toEqual([]);
    // Two products: the one that rises further above its chance first, whatever the similarities.
    const both = (ring: LineCalibration, head: LineCalibration): LineIndex => new LineIndex([
      { key: 2, line: templatesOf('ring'), calibration: ring },
      { key: 3, line: templatesOf('head'), calibration: head },
    ]);
    // (a low threshold: the arrowhead is placed somewhere in the ring's photo too)
    const low = { ...DEFAULT_LINE_OPTIONS, threshold: 50, minScore: -100 };
    const fair = await both({ mean: 76, sd: 2 }, { mean: 76, sd: 2 }).match(p, low);
    expect(fair.map((m) => m.key)).toEqual([2, 3]);
    const head = fair[1]!;
    const tilted = await both({ mean: plain!.similarity - 1, sd: 2 }, { mean: head.similarity - 10, sd: 2 }).match(p, low);
    expect(tilted.map((m) => m.key)).toEqual([3, 2]);
  });

  it('skips a blob it cannot read (truncated, or not templates) and keeps the others', async () => {
    const good = templatesOf('ring');
    const index = new LineIndex([
      { key: 1, line: good.subarray(0, good.length - 7) },
      { key: 2, line: Uint8Array.from([5, 0, 1, 2, 3]) },
      { key: 3, line: good },
    ]);
    expect(index.size).toBe(1);
    expect((await index.match(await photo('ring', 5), DEFAULT_LINE_OPTIONS))[0]?.key).toBe(3);
  });

  it('the templates are stored with the local features (format 13) and read back byte for byte', () => {
    const line = templatesOf('head');
    const f: LocalFeatures = { width: 10, height: 10, count: 0, xy: new Float32Array(0), descriptors: new Uint8Array(0), angles: new Uint8Array(0), line };
    const back = decodeLocalFeatures(encodeLocalFeatures(f));
    expect(back.line).toEqual(line);
    const without = decodeLocalFeatures(encodeLocalFeatures({ ...f, line: undefined }));
    expect(without.line).toBeUndefined();
  });
});

describe('LineIndex without templates', () => {
  it('is empty and finds nothing', async () => {
    const index = new LineIndex();
    expect(index.size).toBe(0);
    expect(index.memoryBytes).toBe(0);
    expect(await index.match(await photo('arrow', 0), DEFAULT_LINE_OPTIONS)).toEqual([]);
  });
});
