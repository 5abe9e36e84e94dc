import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateAddress, loadImageBytes } from './image-source.js';

let server: Server;
let base: string;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'shoplens-src-'));
  server = createServer((req, res) => {
    if (req.url === '/ok') { res.end(Buffer.from('hello')); return; }
    if (req.url === '/big') { res.write(Buffer.alloc(600)); res.end(Buffer.alloc(600)); return; }
    if (req.url === '/redirect') { res.writeHead(302, { location: '/ok' }); res.end(); return; }
    if (req.url === '/slow') { setTimeout(() => res.end('late'), 2000); return; }
    res.writeHead(404); res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

const open = { maxBytes: 1000, timeoutMs: 500, allowPrivate: true };

describe('loadImageBytes', () => {
  it('reads files and enforces the byte limit', async () => {
    const f = path.join(dir, 'a.bin');
    await writeFile(f, Buffer.alloc(10));
    expect((await loadImageBytes(f, open)).length).toBe(10);
    await expect(loadImageBytes(f, { ...open, maxBytes: 5 })).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
    await expect(loadImageBytes(path.join(dir, 'missing.jpg'), open)).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
  });

  it('fetches URLs, follows redirects, and maps failures to codes', async () => {
    expect((await loadImageBytes(`${base}/ok`, open)).toString()).toBe('hello');
    expect((await loadImageBytes(`${base}/redirect`, open)).toString()).toBe('hello');
    await expect(loadImageBytes(`${base}/nope`, open)).rejects.toMatchObject({ code: 'IMAGE_FETCH_FAILED' });
    await expect(loadImageBytes(`${base}/big`, open)).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
    await expect(loadImageBytes(`${base}/slow`, open)).rejects.toMatchObject({ code: 'IMAGE_FETCH_FAILED' });
  });

  it('refuses private addresses unless allowed', async () => {
    await expect(loadImageBytes(`${base}/ok`, { ...open, allowPrivate: false })).rejects.toMatchObject({ code: 'INVALID_URL' });
    expect(isPrivateAddress('10.1.2.3')).toBe(true);
    expect(isPrivateAddress('::1')).toBe(true);
    expect(isPrivateAddress('::ffff:192.168.1.1')).toBe(true);
    expect(isPrivateAddress('93.184.216.34')).toBe(false);
  });
});
