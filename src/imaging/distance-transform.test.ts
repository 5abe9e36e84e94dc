import { describe, expect, it } from 'vitest';
import { distanceTransform } from './distance-transform.js';

describe('distanceTransform', () => {
  it('is 0 on the mask and grows by 1 a step along an axis and 4/3 diagonally', () => {
    const mask = new Uint8Array(25);
    mask[12] = 1;
    const d = distanceTransform(mask, 5, 5);
    expect(d[12]).toBe(0);
    expect(d[13]).toBeCloseTo(1);
    expect(d[14]).toBeCloseTo(2);
    expect(d[18]).toBeCloseTo(4 / 3);
    expect(d[0]).toBeCloseTo(8 / 3);
  });
});
