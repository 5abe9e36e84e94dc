/**
 * Synthetic product photos for the ingest and HTTP benchmarks: 640×480 JPEGs with a background
 * gradient, a textured "product" blob (stripes or checks in its own colours) and sensor-like
 * noise, so that decoding, colour, texture and shape features all see varied real content.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { prng } from './datasets.js';

export const PHOTO_WIDTH = 640;
export const PHOTO_HEIGHT = 480;

export function photoPixels(seed: number, width = PHOTO_WIDTH, height = PHOTO_HEIGHT): Buffer {
  const r = prng(seed * 7919 + 1);
  const bg = [200 + r() * 55, 200 + r() * 55, 200 + r() * 55];
  const bg2 = [150 + r() * 100, 150 + r() * 100, 150 + r() * 100];
  const c1 = [r() * 255, r() * 255, r() * 255];
  const c2 = [r() * 255, r() * 255, r() * 255];
  const cx = width * (0.3 + r() * 0.4), cy = height * (0.3 + r() * 0.4);
  const rx = width * (0.15 + r() * 0.2), ry = height * (0.15 + r() * 0.25);
  const freq = 0.02 + r() * 0.15, angle = r() * Math.PI;
  const ca = Math.cos(angle), sa = Math.sin(angle);
  const checks = r() < 0.4;
  const lobes = 2 + Math.floor(r() * 5), lobeAmp = r() * 0.3;
  const out = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const dx = (x - cx) / rx, dy = (y - cy) / ry;
      const theta = Math.atan2(dy, dx);
      const inside = dx * dx + dy * dy < (1 + lobeAmp * Math.sin(lobes * theta)) ** 2;
      const noise = (r() - 0.5) * 18;
      let c: number[];
      if (inside) {
        const u = x * ca + y * sa, v = -x * sa + y * ca;
        const s = checks ? Math.sin(u * freq) * Math.sin(v * freq) : Math.sin(u * freq);
        c = s > 0 ? c1 : c2;
      } else {
        const t = y / height;
        c = [bg[0]! * (1 - t) + bg2[0]! * t, bg[1]! * (1 - t) + bg2[1]! * t, bg[2]! * (1 - t) + bg2[2]! * t];
      }
      out[i] = Math.max(0, Math.min(255, c[0]! + noise));
      out[i + 1] = Math.max(0, Math.min(255, c[1]! + noise));
      out[i + 2] = Math.max(0, Math.min(255, c[2]! + noise));
    }
  }
  return out;
}

export async function photoJpeg(seed: number): Promise<Buffer> {
  return sharp(photoPixels(seed), { raw: { width: PHOTO_WIDTH, height: PHOTO_HEIGHT, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

/** Writes `count` JPEGs (seeds from `firstSeed`) and a CSV catalog listing them; returns the paths. */
export async function writeCatalog(dir: string, count: number, firstSeed = 1): Promise<{ csv: string; files: string[] }> {
  const imgDir = path.join(dir, 'images');
  mkdirSync(imgDir, { recursive: true });
  const files: string[] = [];
  const lines = ['id,title,brand,category,price,currency,image'];
  const categories = ['shirts', 'shoes', 'bags', 'hats', 'dresses'];
  for (let i = 0; i < count; i++) {
    const file = path.join(imgDir, `p${i}.jpg`);
    writeFileSync(file, await photoJpeg(firstSeed + i));
    files.push(file);
    lines.push(`p${i},Product ${i},Brand ${i % 17},${categories[i % categories.length]},${(10 + (i % 90)).toFixed(2)},EUR,${file}`);
  }
  const csv = path.join(dir, 'catalog.csv');
  writeFileSync(csv, lines.join('\n') + '\n');
  return { csv, files };
}
