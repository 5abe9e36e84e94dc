import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cachedBuild } from '../../bench/lib/common.js';

describe('bench cache (cachedBuild)', () => {
  let tmp: string;
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env['TMPDIR'];
    tmp = mkdtempSync(path.join(os.tmpdir(), 'shoplens-cache-test-'));
    process.env['TMPDIR'] = tmp; // os.tmpdir() reads it on every call
  });
  afterEach(() => {
    if (saved === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = saved;
    rmSync(tmp, { recursive: true, force: true });
  });

  const entry = (name: string): void => {
    mkdirSync(path.join(tmp, 'shoplens-bench-cache', name), { recursive: true });
    writeFileSync(path.join(tmp, 'shoplens-bench-cache', name, 'done.json'), '{}');
  };
  const build = async (work: string): Promise<void> => void writeFileSync(path.join(work, 'done.json'), '{}');

  it('reuses an entry whose marker exists, and builds none', async () => {
    entry('lookup-1000-300-aaaa');
    let built = 0;
    const r = await cachedBuild('lookup-1000-300-aaaa', 'done.json', true, async (w) => { built++; await build(w); });
    expect(r.cached).toBe(true);
    expect(built).toBe(0);
  });

  it('a new build removes older builds of the same kind and sizes, and keeps other kinds and sizes', async () => {
    for (const n of ['lookup-1000-300-aaaa', 'lookup-1000-300-bbbb', 'lookup-1000-1000-cccc', 'lookup-photos-1000-300-dddd', 'fashion-categories-3000-eeee']) entry(n);
    const r = await cachedBuild('lookup-1000-300-ffff', 'done.json', true, build);
    expect(r.cached).toBe(false);
    expect(existsSync(path.join(r.dir, 'done.json'))).toBe(true);
    expect(readdirSync(path.join(tmp, 'shoplens-bench-cache')).sort()).toEqual(['fashion-categories-3000-eeee', 'lookup-1000-1000-cccc', 'lookup-1000-300-ffff', 'lookup-photos-1000-300-dddd']);
  });

  it('a failed build leaves the cache as it was', async () => {
    entry('lookup-1000-300-aaaa');
    await expect(cachedBuild('lookup-1000-300-ffff', 'done.json', true, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(readdirSync(path.join(tmp, 'shoplens-bench-cache'))).toEqual(['lookup-1000-300-aaaa']);
    expect(readdirSync(tmp).filter((n) => n.startsWith('shoplens-bench-build-'))).toEqual([]);
  });
});
