import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { disc, outlinedArrow, pear, ring } from '../../../test/factories/drawings.js';
import { flagImage, type Rgb } from '../../../test/factories/flags.js';
import { findBackdrop } from '../../imaging/backdrop.js';
import { LineCalibrations } from './line-calibration.js';
import { DEFAULT_LINE_OPTIONS, lineTemplates, nativeLine, templatesId, type CollageSource } from './lines.js';

const O = { ...DEFAULT_LINE_OPTIONS, calibration: { ...DEFAULT_LINE_OPTIONS.calibration, collages: 30 } };

function drawn(f: (u: number, v: number) => Rgb | null, side = 300): { image: ReturnType<typeof flagImage>; mask: Uint8Array } {
  const image = flagImage(side, side, f, { cx: side / 2, cy: side / 2, width: side * 0.85, height: side * 0.85, turn: 0 }, 'white');
  return { image, mask: findBackdrop(image).mask };
}

function templated(f: (u: number, v: number) => Rgb | null, sha256: string): { sha256: string; id: string; line: Uint8Array } {
  const { image, mask } = drawn(f);
  const line = lineTemplates(image, mask)!;
  return { sha256, id: templatesId(line), line };
}

const SOURCES: CollageSource[] = [disc([200, 40, 40], [250, 220, 60]), pear([200, 170, 40], [240, 220, 120], [90, 40, 10])].map((f) => {
  const { image, mask } = drawn(f, 160);
  return { image, mask: mask.map((b) => (b ? 0 : 255)) };
});

describe.skipIf(nativeLine() === null)('stored edge-template calibrations', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shoplens-linecal-'));
    file = path.join(dir, 'calibration.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('calibrates new templates once, keeps them across opens, forgets those no longer in the catalogue', async () => {
    const arrow = templated(outlinedArrow([30, 30, 30], 0.02), 'a');
    const circle = templated(ring([40, 90, 200], 0.03), 'b');
    const first = await LineCalibrations.open(file, O);
    expect(first.size).toBe(0);
    let asked = 0;
    const sources = async (): Promise<CollageSource[]> => {
      asked++;
      return SOURCES;
    };
    expect(await first.update([arrow, circle], sources, O)).toBe(2);
    expect(first.of(arrow.line)!.mean).toBeGreaterThanOrEqual(O.threshold);
    // Opened again: the same figures (to 3 decimals), nothing left to calibrate, no collages made.
    const again = await LineCalibrations.open(file, O);
    expect(again.of(arrow.line)!.mean).toBeCloseTo(first.of(arrow.line)!.mean, 3);
    expect(again.of(circle.line)!.sd).toBeCloseTo(first.of(circle.line)!.sd, 3);
    expect(await again.update([{ sha256: 'a', id: arrow.id }, { sha256: 'b', id: circle.id }], sources, O)).toBe(0);
    expect(asked).toBe(1);
    // The ring left the catalogue: its calibration is forgotten, in the file too.
    expect(await again.update([{ sha256: 'a', id: arrow.id }], sources, O)).toBe(0);
    expect(again.of(circle.line)).toBeUndefined();
    expect(Object.keys((JSON.parse(await readFile(file, 'utf8')) as { products: object }).products)).toEqual([arrow.id]);
  });

  it('without products to make collages of, calibrates nothing and fails nothing', async () => {
    const c = await LineCalibrations.open(file, O);
    const arrow = templated(outlinedArrow([30, 30, 30], 0.02), 'a');
    expect(await c.update([arrow], async () => [], O)).toBe(0);
    expect(c.of(arrow.line)).toBeUndefined();
    await expect(readFile(file)).rejects.toThrow();
  });
});
