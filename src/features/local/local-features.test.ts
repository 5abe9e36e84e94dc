import { describe, expect, it } from 'vitest';
import { card } from '../../../test/factories/gray-card.js';
import { ANGLE_STEPS, angleStep, channelKey, concatFeatures, decodeLocalFeatures, encodeLocalFeatures, extractLocalFeatures, FORMAT_VERSION, keyedFeatures, localFeaturesVersion, spreadOut } from './local-features.js';
import { fitSimilarity, isPlausible, project } from './geometry.js';

describe('local features (ORB via OpenCV)', () => {
  it('finds keypoints on a textured image and none on a blank one', async () => {
    const f = await extractLocalFeatures(card(320, 240), { maxKeypoints: 300 });
    expect(f.count).toBeGreaterThan(100);
    expect(f.count).toBeLessThanOrEqual(300);
    expect(f.descriptors.length).toBe(f.count * 32);
    for (let i = 0; i < f.count; i++) {
      expect(f.xy[2 * i]).toBeGreaterThanOrEqual(0);
      expect(f.xy[2 * i]).toBeLessThan(320);
    }
    const blank = await extractLocalFeatures({ data: new Uint8Array(320 * 240).fill(200), width: 320, height: 240, channels: 1 }, { maxKeypoints: 300 });
    expect(blank.count).toBe(0);
  }, 20_000);

  it('softens the image before detection when asked (catalog analysis)', async () => {
    const sharp = await extractLocalFeatures(card(320, 240), { maxKeypoints: 300 });
    const soft = await extractLocalFeatures(card(320, 240), { maxKeypoints: 300, blurSigma: 1 });
    expect(soft.count).toBeGreaterThan(50);
    expect(Buffer.from(soft.descriptors).equals(Buffer.from(sharp.descriptors))).toBe(false);
  }, 20_000);

  it('finds no keypoints, and no error, in an image too small for ORB (a pixel, a thin strip)', async () => {
    for (const [w, h] of [[1, 1], [2, 40], [62, 200]] as const) {
      const img = { data: Buffer.alloc(w * h * 3, 90), width: w, height: h, channels: 3 as const };
      const f = await extractLocalFeatures(img, { maxKeypoints: 50 });
      expect([f.count, f.width, f.height]).toEqual([0, w, h]);
      expect(decodeLocalFeatures(encodeLocalFeatures(f)).count).toBe(0);
    }
  });

  it('reads features written by the previous analysis version and tells the versions apart', async () => {
    const f = await extractLocalFeatures(card(320, 240), { maxKeypoints: 50 });
    const blob = encodeLocalFeatures(f);
    expect(localFeaturesVersion(blob)).toBe(FORMAT_VERSION);
    // Versions 1 and 2 end after the descriptors (no angles, no colour copy); version 3 has the
    // colour copy but no angles; versions 4–6 end after the colour copy (no layout byte), version 7
    // after the layout (no shape count), versions 8 and 9 after the shape (no outline count).
    const descriptorsEnd = 10 + 36 * f.count;
    // Versions 10–12 end after the strokes (no templates' byte count; 11 and 12 add keypoints and an
    // anchor, not fields).
    for (const version of [10, 11, 12]) {
      const old = Buffer.from(blob.subarray(0, blob.length - 4));
      old.writeUInt16LE(version, 2);
      expect(decodeLocalFeatures(old)).toEqual(decodeLocalFeatures(blob));
    }
    const before10 = Buffer.from(blob.subarray(0, blob.length - 6));
    for (const version of [8, 9]) {
      before10.writeUInt16LE(version, 2);
      expect(decodeLocalFeatures(before10).count).toBe(f.count);
      expect(decodeLocalFeatures(before10).outline).toBeUndefined();
    }
    const before8 = Buffer.from(blob.subarray(0, blob.length - 8));
    before8.writeUInt16LE(7, 2);
    expect(decodeLocalFeatures(before8).count).toBe(f.count);
    expect(decodeLocalFeatures(before8).shape).toBeUndefined();
    const before7 = blob.subarray(0, blob.length - 9);
    for (const version of [4, 5, 6]) {
      const old = Buffer.from(before7);
      old.writeUInt16LE(version, 2);
      expect(decodeLocalFeatures(old).count).toBe(f.count);
      expect(decodeLocalFeatures(old).angles).toEqual(f.angles);
      expect(decodeLocalFeatures(old).layout).toBeUndefined();
    }
    for (const version of [1, 2, 3]) {
      const old = Buffer.concat([blob.subarray(0, descriptorsEnd), version === 3 ? before7.subarray(descriptorsEnd + f.count) : Buffer.alloc(0)]);
      old.writeUInt16LE(version, 2);
      expect(localFeaturesVersion(old)).toBe(version);
      expect(decodeLocalFeatures(old).count).toBe(f.count);
      expect(decodeLocalFeatures(old).colours).toBeUndefined();
      expect(decodeLocalFeatures(old).angles).toBeUndefined();
    }
    const future = Buffer.from(blob);
    future.writeUInt16LE(FORMAT_VERSION + 1, 2);
    expect(() => decodeLocalFeatures(future)).toThrow(/unknown format/);
    expect(localFeaturesVersion(Buffer.from('nope'))).toBeNull();
  }, 20_000);

  it('round-trips through the compact binary format (37 bytes per keypoint, quarter-pixel coordinates, angles, the colour copy, the colour layout, the shape, the strokes, the edge templates)', async () => {
    const f = await extractLocalFeatures(card(320, 240), { maxKeypoints: 200 });
    expect(encodeLocalFeatures(f).length).toBe(10 + 37 * f.count + 2 + 1 + 2 + 2 + 4);
    const colours = { data: Buffer.from(Array.from({ length: 48 * 36 * 3 }, (_, i) => (i * 7) % 256)), width: 48, height: 36, channels: 3 as const };
    const rect = { cx: 150.5, cy: 120.25, width: 240, height: 160, angle: 0.125 };
    const layout = { aspect: 1.5, colours: Uint8Array.from({ length: 144 * 3 }, (_, i) => (i * 5) % 256), rect };
    const blob = encodeLocalFeatures({ ...f, colours, layout });
    expect(blob.length).toBe(10 + 37 * f.count + 2 + 48 * 36 * 3 + 1 + 24 + 144 * 3 + 2 + 2 + 4);
    const g = decodeLocalFeatures(blob);
    expect(g.layout?.aspect).toBe(1.5);
    expect(g.layout?.rect).toEqual(rect);
    expect(Array.from(g.layout!.colours)).toEqual(Array.from(layout.colours));
    expect(decodeLocalFeatures(encodeLocalFeatures({ ...f, colours })).layout).toBeUndefined();
    expect(() => encodeLocalFeatures({ ...f, layout: { aspect: 1, colours: new Uint8Array(256 * 3), rect } })).toThrow(/at most 255/);
    expect([g.colours?.width, g.colours?.height]).toEqual([48, 36]);
    expect(g.colours!.data.equals(colours.data)).toBe(true);
    expect(g.count).toBe(f.count);
    expect([g.width, g.height]).toEqual([320, 240]);
    expect(Buffer.from(g.descriptors).equals(Buffer.from(f.descriptors))).toBe(true);
    expect(g.angles).toEqual(f.angles);
    const { angles: _, ...noAngles } = f;
    expect(() => encodeLocalFeatures(noAngles)).toThrow(/angle per keypoint/);
    for (let i = 0; i < f.xy.length; i++) expect(Math.abs(g.xy[i]! - f.xy[i]!)).toBeLessThanOrEqual(0.125);
    expect(() => decodeLocalFeatures(blob.subarray(0, blob.length - 1))).toThrow(/expected/);
    const anchor = { area: 1234, cx: 100.5, cy: 80.25, theta: -0.5, elongation: 1.75, spread: 0.25, colour: [200, 30, 40] as [number, number, number], points: Uint16Array.from([1, 2, 300, 4]) };
    const shape = { extent: 250, points: Uint16Array.from([10, 20, 30, 40, 319, 1]), colours: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), anchors: [anchor, { ...anchor, points: new Uint16Array(0), level: 1 }] };
    const withShape = encodeLocalFeatures({ ...f, colours, layout, shape });
    expect(withShape.length).toBe(blob.length + 4 + 6 * 2 + 9 + 1 + 2 * 30 + 4 * 2);
    const h = decodeLocalFeatures(withShape);
    expect(h.layout?.rect).toEqual(rect);
    expect(h.shape).toEqual(shape);
    // Version 8 wrote no level byte after an anchor's point count.
    const firstAnchor = withShape.length - 2 - 4 - (2 * 30 + 4 * 2);
    const v8 = Buffer.concat([withShape.subarray(0, firstAnchor + 29), withShape.subarray(firstAnchor + 30, firstAnchor + 30 + 8 + 29), withShape.subarray(firstAnchor + 30 + 8 + 30, withShape.length - 6)]);
    v8.writeUInt16LE(8, 2);
    expect(decodeLocalFeatures(v8).shape).toEqual({ ...shape, anchors: [anchor, { ...anchor, points: new Uint16Array(0) }] });
    expect(() => decodeLocalFeatures(withShape.subarray(0, withShape.length - 1))).toThrow(/expected/);
    expect(() => encodeLocalFeatures({ ...f, shape: { ...shape, colours: new Uint8Array(3) } })).toThrow(/one colour each/);
    // The strokes of a line drawing after the shape: colour, longest side, int8 pairs on and beside them.
    const outline = { colour: [230, 40, 20] as [number, number, number], extent: 164, strokes: Int8Array.from([-100, -50, 100, 50, 0, -1]), halo: Int8Array.from([-104, -50, 104, 50]) };
    const withOutline = encodeLocalFeatures({ ...f, colours, layout, shape, outline });
    expect(withOutline.length).toBe(withShape.length + 2 + 3 + 1 + 6 + 4);
    const o = decodeLocalFeatures(withOutline);
    expect(o.outline).toEqual(outline);
    expect(o.shape).toEqual(shape);
    expect(() => decodeLocalFeatures(withOutline.subarray(0, withOutline.length - 1))).toThrow(/expected/);
    expect(() => encodeLocalFeatures({ ...f, outline: { ...outline, strokes: Int8Array.from([1, 2, 3]) } })).toThrow(/x, y pairs/);
    expect(() => encodeLocalFeatures({ ...f, outline: { ...outline, extent: 0 } })).toThrow(/longest side/);
    // The LINE-2D templates last: their byte count (uint32) and the addon's bytes as they are.
    const line = Uint8Array.from([1, 0, 15, 144, 0, 9, 9, 9]);
    const withLine = encodeLocalFeatures({ ...f, colours, layout, shape, outline, line });
    expect(withLine.length).toBe(withOutline.length + line.length);
    expect(decodeLocalFeatures(withLine).line).toEqual(line);
    expect(decodeLocalFeatures(withLine).outline).toEqual(outline);
    expect(decodeLocalFeatures(withOutline).line).toBeUndefined();
    expect(() => decodeLocalFeatures(withLine.subarray(0, withLine.length - 1))).toThrow(/expected/);
  }, 20_000);

  it('joins two detections of one image (softened and sharp catalog keypoints)', async () => {
    const soft = await extractLocalFeatures(card(320, 240), { maxKeypoints: 100, blurSigma: 1 });
    const sharp = await extractLocalFeatures(card(320, 240), { maxKeypoints: 60 });
    const both = concatFeatures(soft, sharp);
    expect(both.count).toBe(soft.count + sharp.count);
    expect(Array.from(both.xy.subarray(2 * soft.count))).toEqual(Array.from(sharp.xy));
    expect(Buffer.from(both.descriptors.subarray(0, soft.count * 32)).equals(Buffer.from(soft.descriptors))).toBe(true);
    expect(Array.from(both.angles!)).toEqual([...soft.angles!, ...sharp.angles!]);
    expect(decodeLocalFeatures(encodeLocalFeatures(both)).count).toBe(both.count);
    expect(() => concatFeatures(soft, { ...sharp, width: 100 })).toThrow(/different image sizes/);
  }, 20_000);

  it('keys a colour channel\'s descriptors: distances within the channel kept, luma and channel descriptors as far apart as random bits', async () => {
    const f = await extractLocalFeatures(card(320, 240), { maxKeypoints: 80 });
    const yb = keyedFeatures(f, 'yellow-blue'), rg = keyedFeatures(f, 'red-green');
    const d = (a: Uint8Array, i: number, b: Uint8Array, j: number): number => {
      let n = 0;
      for (let k = 0; k < 32; k++) n += popcount(a[32 * i + k]! ^ b[32 * j + k]!);
      return n;
    };
    expect(Array.from(yb.xy)).toEqual(Array.from(f.xy));
    expect(yb.angles).toEqual(f.angles);
    for (let i = 0; i + 1 < f.count; i++) {
      expect(d(yb.descriptors, i, yb.descriptors, i + 1)).toBe(d(f.descriptors, i, f.descriptors, i + 1));
      // The same keypoint on luma and on a channel: the key's own weight apart, never near.
      expect(d(yb.descriptors, i, f.descriptors, i)).toBeGreaterThan(90);
      expect(d(yb.descriptors, i, rg.descriptors, i)).toBeGreaterThan(90);
    }
    expect(channelKey('yellow-blue')).toEqual(channelKey('yellow-blue'));
    expect(channelKey('yellow-blue')).not.toEqual(channelKey('red-green'));
  }, 20_000);

  it('gives each keypoint its orientation, which turns with the image', async () => {
    // The card turned by 90° (clockwise on screen): a keypoint at (x, y) moves to (h − 1 − y, x),
    // and its ORB angle (degrees, clockwise in image coordinates) grows by 90°, a quarter of ANGLE_STEPS.
    const img = card(320, 240);
    const turned = { data: new Uint8Array(img.data.length), width: img.height, height: img.width, channels: 1 as const };
    for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) turned.data[x * img.height + (img.height - 1 - y)] = img.data[y * img.width + x]!;
    const a = await extractLocalFeatures(img, { maxKeypoints: 300 });
    const b = await extractLocalFeatures(turned, { maxKeypoints: 300 });
    expect(a.angles).toHaveLength(a.count);
    const diffs: number[] = [];
    for (let i = 0; i < a.count; i++) {
      const tx = img.height - 1 - a.xy[2 * i + 1]!, ty = a.xy[2 * i]!;
      for (let j = 0; j < b.count; j++) {
        if (Math.hypot(b.xy[2 * j]! - tx, b.xy[2 * j + 1]! - ty) < 1) diffs.push((b.angles![j]! - a.angles![i]! + ANGLE_STEPS) % ANGLE_STEPS);
      }
    }
    expect(diffs.length).toBeGreaterThan(30);
    const quarter = ANGLE_STEPS / 4;
    // Within 15° (11 steps) of a quarter turn for nearly all of them; a random angle would be 0.12 of the time.
    expect(diffs.filter((d) => Math.abs(d - quarter) <= 11).length / diffs.length).toBeGreaterThan(0.8);
    expect(angleStep(90)).toBe(quarter);
    expect(angleStep(-90)).toBe(3 * quarter);
  }, 20_000);
});

describe('grid-adapted keypoint selection', () => {
  it('keeps the weak corners of a quiet region when strong clutter fills the quota', () => {
    // 90 strong keypoints in the left half, 10 weak ones in the right half; keep 20 on a 2×2 grid.
    const n = 100;
    const xy = new Float32Array(2 * n), response = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const right = i >= 90;
      xy[2 * i] = right ? 150 + (i % 10) * 4 : (i % 30) * 3;
      xy[2 * i + 1] = right ? (i - 90) * 10 + 5 : (i * 7) % 100; // right half: 5 per cell
      response[i] = right ? 0.01 : 1 + i;
    }
    const keep = spreadOut(xy, response, 200, 100, 20, 2);
    expect(keep).toHaveLength(20);
    expect(new Set(keep).size).toBe(20);
    expect(keep.filter((i) => i >= 90)).toHaveLength(10); // every right-half keypoint survives
    // Plain strongest-first would have kept none of them.
    const strongest = Array.from(response.keys()).sort((a, b) => response[b]! - response[a]!).slice(0, 20);
    expect(strongest.some((i) => i >= 90)).toBe(false);
  });

  it('detects more, then returns at most maxKeypoints spread over the image', async () => {
    const f = await extractLocalFeatures(card(320, 240), { maxKeypoints: 150, spread: { detect: 600, grid: 4 } });
    expect(f.count).toBe(150);
    expect(f.descriptors.length).toBe(150 * 32);
    const cells = new Set(Array.from({ length: f.count }, (_, i) => Math.floor(f.xy[2 * i]! / 80) * 4 + Math.floor(f.xy[2 * i + 1]! / 60)));
    expect(cells.size).toBeGreaterThanOrEqual(12);
  }, 20_000);
});

describe('similarity RANSAC', () => {
  it('recovers a rotation+scale+shift with 60% outliers and rejects pure noise', () => {
    const n = 100;
    const src = new Float32Array(2 * n), dst = new Float32Array(2 * n);
    const a = 0.8 * Math.cos(0.4), b = 0.8 * Math.sin(0.4);
    let s = 3;
    const r = () => ((s = (s * 1103515245 + 12345) >>> 0) / 4294967296);
    for (let i = 0; i < n; i++) {
      const x = r() * 400, y = r() * 400;
      src[2 * i] = x; src[2 * i + 1] = y;
      if (i < 40) { dst[2 * i] = a * x - b * y + 50; dst[2 * i + 1] = b * x + a * y + 20; }
      else { dst[2 * i] = r() * 640; dst[2 * i + 1] = r() * 480; }
    }
    const fit = fitSimilarity(src, dst, 3)!;
    expect(fit.inlierCount).toBeGreaterThanOrEqual(40);
    expect(fit.inlierCount).toBeLessThan(45);
    const p = project(fit.homography, 100, 100)!;
    expect(p[0]).toBeCloseTo(a * 100 - b * 100 + 50, 1);
    expect(isPlausible(fit.homography, 400, 400)).toBe(true);
    // The model turns by 0.4 rad (23°): a 30° limit keeps it, a 15° one leaves only chance fits.
    expect(fitSimilarity(src, dst, 3, { maxRotation: 30 })!.inlierCount).toBe(fit.inlierCount);
    expect(fitSimilarity(src, dst, 3, { maxRotation: 15 })?.inlierCount ?? 0).toBeLessThan(8);
    for (let i = 0; i < 2 * n; i++) dst[i] = r() * 640;
    expect(fitSimilarity(src, dst, 3)?.inlierCount ?? 0).toBeLessThan(8);
  });

  it('rejects mirrored and collapsed models', () => {
    expect(isPlausible(Float64Array.from([-1, 0, 400, 0, 1, 0, 0, 0, 1]), 400, 400)).toBe(false);
    expect(isPlausible(Float64Array.from([0.01, 0, 0, 0, 0.01, 0, 0, 0, 1]), 400, 400)).toBe(false);
  });
});

function popcount(v: number): number {
  let n = 0;
  for (; v; v &= v - 1) n++;
  return n;
}
