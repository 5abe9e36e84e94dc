import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/main.js';
import { pullModel } from '../../src/features/onnx/hub-download.js';
import { ModelStore } from '../../src/features/onnx/model-store.js';
import { OnnxImageExtractor } from '../../src/features/onnx/onnx-image.extractor.js';
import { tinyImageEncoder, tinyManifest, tinyTextEncoder, tinyTokenizerJson } from '../fixtures/onnx/tiny-models.js';
import { tempDir } from './shoplens.factory.js';

/**
 * `shoplens models pull` against a local stand-in for the Hugging Face hub (node:http): the same
 * `/<repo>/resolve/<revision>/<file>` paths, Content-Length and the X-Linked-ETag sha256 header.
 */
const { json: tokenizer, vocab } = tinyTokenizerJson();
const FILES: Record<string, Buffer> = {
  'onnx/vision_model.onnx': Buffer.from(tinyImageEncoder()),
  'onnx/text_model.onnx': Buffer.from(tinyTextEncoder(vocab)),
  'tokenizer.json': Buffer.from(tokenizer),
};
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let server: Server;
let endpoint: string;
let dir: string;
const requests: string[] = [];
/** Per-test behaviour of the fake hub. */
let mode: 'ok' | 'bad-etag' | 'truncated' | '404' = 'ok';

beforeAll(async () => {
  dir = await tempDir('shoplens-models-');
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const m = /^\/shoplens-tests\/tiny-clip\/resolve\/main\/(.+)$/.exec(req.url ?? '');
    const body = m ? FILES[decodeURIComponent(m[1]!)] : undefined;
    if (!body || mode === '404') {
      res.writeHead(404).end('Entry not found');
      return;
    }
    const etag = mode === 'bad-etag' ? '0'.repeat(64) : sha(body);
    if (mode === 'truncated') {
      res.writeHead(200, { 'content-length': String(body.length + 10), 'x-linked-etag': `"${etag}"` });
      res.write(body);
      res.destroy();
      return;
    }
    res.writeHead(200, { 'content-length': String(body.length), 'x-linked-etag': `"${etag}"` });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await rm(dir, { recursive: true, force: true });
});

async function withManifest(modelsDir: string, name = 'tiny-clip'): Promise<void> {
  await mkdir(path.join(modelsDir, name), { recursive: true });
  await writeFile(path.join(modelsDir, name, 'manifest.json'), JSON.stringify(tinyManifest(name)));
}

function capture(): CliIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, stdout: () => out, stderr: () => err };
}

async function cli(env: Record<string, string>, ...args: string[]) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    const io = capture();
    const code = await runCli(['node', 'shoplens', ...args], io);
    return { code, out: io.stdout(), err: io.stderr() };
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe('models folder and `shoplens models pull`', () => {
  it('list shows the built-in manifests (not installed) and a local one; pull downloads, verifies and installs; the model then runs', async () => {
    const models = path.join(dir, 'm1');
    await withManifest(models);
    const before = await cli({}, 'models', 'list', '--models', models, '--json');
    expect(before.code).toBe(0);
    const list = JSON.parse(before.out) as { models: Array<{ name: string; installed: boolean; text: boolean; builtin: boolean }> };
    expect(list.models.map((m) => m.name)).toEqual(['clip-vit-b32', 'dinov2-small', 'mobilenetv3-large', 'tiny-clip']);
    expect(list.models.every((m) => !m.installed)).toBe(true);
    expect(list.models.find((m) => m.name === 'clip-vit-b32')).toMatchObject({ text: true, builtin: true });

    const pull = await cli({ SHOPLENS_HUB_ENDPOINT: endpoint }, 'models', 'pull', 'tiny-clip', '--models', models, '--json');
    expect(pull.code).toBe(0);
    const pulled = JSON.parse(pull.out) as { installed: boolean; files: Array<{ path: string; bytes: number; sha256: string; downloaded: boolean }> };
    expect(pulled.installed).toBe(true);
    for (const f of pulled.files) {
      expect(f.downloaded).toBe(true);
      expect(f.sha256).toBe(sha(FILES[f.path]!));
      expect(f.bytes).toBe(FILES[f.path]!.length);
    }
    // No temporary files are left next to the model.
    expect((await readdir(path.join(models, 'tiny-clip', 'onnx'))).sort()).toEqual(['text_model.onnx', 'vision_model.onnx']);

    const after = JSON.parse((await cli({}, 'models', 'list', '--models', models, '--json')).out) as typeof list;
    expect(after.models.find((m) => m.name === 'tiny-clip')?.installed).toBe(true);

    const again = await cli({ SHOPLENS_HUB_ENDPOINT: endpoint }, 'models', 'pull', 'tiny-clip', '--models', models, '--json');
    expect(JSON.parse(again.out).files.every((f: { downloaded: boolean }) => !f.downloaded)).toBe(true);

    const e = await OnnxImageExtractor.open(new ModelStore(models), 'tiny-clip');
    try {
      expect([...(await e.text!.embed('blue'))]).toEqual([0, 0, 1]);
    } finally {
      await e.close();
    }
  });

  it('a checksum mismatch or a short body fails with MODEL_DOWNLOAD_FAILED and leaves nothing installed', async () => {
    for (const m of ['bad-etag', 'truncated', '404'] as const) {
      mode = m;
      const models = path.join(dir, `m-${m}`);
      await withManifest(models);
      const store = new ModelStore(models);
      await expect(pullModel(await store.get('tiny-clip'), { endpoint, timeoutMs: 5000 })).rejects.toMatchObject({ code: 'MODEL_DOWNLOAD_FAILED' });
      expect(existsSync(path.join(models, 'tiny-clip', 'onnx', 'vision_model.onnx'))).toBe(false);
      const left = await readdir(path.join(models, 'tiny-clip', 'onnx')).catch(() => []);
      expect(left).toEqual([]);
      expect((await store.get('tiny-clip')).installed).toBe(false);
    }
    mode = 'ok';
  });

  it('offline: an unreachable hub is NETWORK_UNAVAILABLE with a clear message, and nothing is written', async () => {
    const models = path.join(dir, 'm-offline');
    // A port nobody listens on (the server is opened and closed to find one).
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const r = await cli({ SHOPLENS_HUB_ENDPOINT: `http://127.0.0.1:${port}` }, 'models', 'pull', 'dinov2-small', '--models', models);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error NETWORK_UNAVAILABLE: Cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\): this machine looks offline/);
    expect(existsSync(path.join(models, 'dinov2-small'))).toBe(false); // no empty folder left behind
    const dns = await cli({ SHOPLENS_HUB_ENDPOINT: 'http://hub.invalid' }, 'models', 'pull', 'dinov2-small', '--models', models, '--json');
    expect(JSON.parse(dns.out).error.code).toBe('NETWORK_UNAVAILABLE');
  });

  it('pull of an unknown model is MODEL_NOT_FOUND; the default hub URL is huggingface.co', async () => {
    const r = await cli({}, 'models', 'pull', 'nope', '--models', path.join(dir, 'm-x'), '--json');
    expect(JSON.parse(r.out).error.code).toBe('MODEL_NOT_FOUND');
    expect(requests.every((u) => u.startsWith('/shoplens-tests/tiny-clip/resolve/main/'))).toBe(true);
    const manifest = await readFile(new URL('../../src/features/onnx/builtin-manifests.ts', import.meta.url), 'utf8');
    expect(manifest).toContain("repo: 'Xenova/clip-vit-base-patch32'");
  });
});
