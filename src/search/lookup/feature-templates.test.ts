import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureMapModel } from '../../features/onnx/feature-maps.js';
import { decodeImage } from '../../imaging/index.js';
import type { RgbImage } from '../../imaging/types.js';
import { DEFAULT_FEATURE_TEMPLATE_OPTIONS as O, photoFeatures, templateScore } from './feature-templates.js';

const FIXTURES = join(import.meta.dirname, '../../../test/fixtures/images');
const load = async (name: string): Promise<RgbImage> => decodeImage(await readFile(join(FIXTURES, name)));

// The benchmark's catalogue drawing and a shopper photo of it (turned, relit, among clutter).
describe('feature-map templates', () => {
  let model: FeatureMapModel;
  let catalogue: RgbImage, photo: RgbImage, others: RgbImage[];
  beforeAll(async () => {
    model = await FeatureMapModel.create();
    [catalogue, photo] = await Promise.all(['page-catalogue.jpg', 'page-photo.jpg'].map(load)) as [RgbImage, RgbImage];
    others = await Promise.all(['checkerboard.png', 'quadrants.webp'].map(load));
  }, 60_000);
  afterAll(() => model?.close());

  it('scores the photographed product above other catalogue images in the photo', async () => {
    const inPhoto = await photoFeatures(model, photo, O);
    const own = await templateScore(model, inPhoto, catalogue, O);
    expect(own).toBeGreaterThan(0.65);
    for (const other of others) expect(own).toBeGreaterThan((await templateScore(model, inPhoto, other, O)) + 0.05);
  });

  it('scores the product higher in its photo than in photos without it, and near 1 in its own image', async () => {
    const own = await templateScore(model, await photoFeatures(model, photo, O), catalogue, O);
    for (const other of others) expect(own).toBeGreaterThan((await templateScore(model, await photoFeatures(model, other, O), catalogue, O)) + 0.05);
    expect(await templateScore(model, await photoFeatures(model, catalogue, O), catalogue, O)).toBeGreaterThan(0.85);
  });

  it('an image that is all backdrop has no product to look for', async () => {
    const red = await load('solid-red.png');
    expect(await templateScore(model, await photoFeatures(model, photo, O), red, O)).toBe(0);
  });
});
