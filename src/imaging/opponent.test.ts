import { describe, expect, it } from 'vitest';
import { toLuma } from '../features/local/local-features.js';
import { opponentChannel } from './opponent.js';
import type { RgbImage } from './types.js';

const pixels = (...rgb: [number, number, number][]): RgbImage => ({ data: Buffer.from(rgb.flat()), width: rgb.length, height: 1, channels: 3 });

describe('opponentChannel', () => {
  it('puts every grey at 128 and colours on either side', () => {
    const img = pixels([255, 255, 255], [128, 128, 128], [0, 0, 0], [255, 255, 0], [0, 0, 255], [255, 0, 0], [0, 255, 0]);
    expect([...opponentChannel(img, 'yellow-blue').data]).toEqual([128, 128, 128, 255, 0, 255, 255]);
    expect([...opponentChannel(img, 'red-green').data]).toEqual([128, 128, 128, 128, 128, 255, 0]);
  });

  it('holds the edge between a yellow and a grey of one luma', () => {
    const img = pixels([200, 190, 60], [180, 180, 180]);
    const luma = toLuma(img).data;
    expect(Math.abs(luma[0]! - luma[1]!)).toBeLessThanOrEqual(2);
    const yb = opponentChannel(img, 'yellow-blue').data;
    expect(yb[0]! - yb[1]!).toBeGreaterThan(100);
    expect(opponentChannel(img, 'yellow-blue')).toMatchObject({ width: 2, height: 1, channels: 1 });
  });
});
