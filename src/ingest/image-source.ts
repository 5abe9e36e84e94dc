import { lookup } from 'node:dns/promises';
import { open, stat } from 'node:fs/promises';
import net from 'node:net';
import { AppError } from '../domain/errors.js';

export interface ImageSourceOptions {
  maxBytes: number;
  timeoutMs: number;
  /** When false, URLs resolving to loopback, private, link-local or unspecified addresses are refused. */
  allowPrivate: boolean;
}

const MAX_REDIRECTS = 3;

export function isHttpUrl(location: string): boolean {
  return /^https?:\/\//i.test(location);
}

/** Reads an image's bytes from a local path or an http(s) URL, enforcing the byte limit while reading. */
export async function loadImageBytes(location: string, options: ImageSourceOptions): Promise<Buffer> {
  return isHttpUrl(location) ? fetchImage(location, options) : readImageFile(location, options.maxBytes);
}

export async function readImageFile(filePath: string, maxBytes: number): Promise<Buffer> {
  let size: number;
  try {
    const s = await stat(filePath);
    if (!s.isFile()) throw new Error('not a regular file');
    size = s.size;
  } catch (err) {
    throw new AppError('IMAGE_NOT_FOUND', `Image file not found: ${filePath}`, { cause: err, details: { path: filePath } });
  }
  if (size > maxBytes) {
    throw new AppError('IMAGE_TOO_LARGE', `Image file is ${size} bytes; the limit is ${maxBytes}`, {
      details: { bytes: size, maxBytes },
    });
  }
  const fh = await open(filePath, 'r');
  try {
    return await fh.readFile();
  } finally {
    await fh.close();
  }
}

/** Fetches with a timeout, a streamed byte limit, manual redirects, and the private-address guard on every hop. */
export async function fetchImage(url: string, options: ImageSourceOptions): Promise<Buffer> {
  let current = url;
  const signal = AbortSignal.timeout(options.timeoutMs);
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const parsed = parseUrl(current);
    if (!options.allowPrivate) await assertPublicHost(parsed);
    let res: Response;
    try {
      res = await fetch(parsed, { redirect: 'manual', signal, headers: { accept: 'image/*' } });
    } catch (err) {
      const timedOut = signal.aborted;
      throw new AppError('IMAGE_FETCH_FAILED', timedOut ? `Timed out fetching ${current}` : `Could not fetch ${current}: ${(err as Error).message}`, {
        cause: err,
        details: { url: current },
      });
    }
    if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
      current = new URL(res.headers.get('location')!, parsed).toString();
      await res.body?.cancel();
      continue;
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new AppError('IMAGE_FETCH_FAILED', `Fetching ${current} answered HTTP ${res.status}`, {
        details: { url: current, status: res.status },
      });
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > options.maxBytes) {
      await res.body?.cancel();
      throw new AppError('IMAGE_TOO_LARGE', `Image at ${current} is ${declared} bytes; the limit is ${options.maxBytes}`, {
        details: { bytes: declared, maxBytes: options.maxBytes },
      });
    }
    return readLimited(res, options.maxBytes, current);
  }
  throw new AppError('IMAGE_FETCH_FAILED', `Too many redirects fetching ${url}`, { details: { url } });
}

async function readLimited(res: Response, maxBytes: number, url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  if (!res.body) return Buffer.alloc(0);
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        throw new AppError('IMAGE_TOO_LARGE', `Image at ${url} exceeds the limit of ${maxBytes} bytes`, {
          details: { maxBytes },
        });
      }
      chunks.push(Buffer.from(chunk));
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('IMAGE_FETCH_FAILED', `Reading ${url} failed: ${(err as Error).message}`, { cause: err });
  }
  return Buffer.concat(chunks, total);
}

function parseUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (err) {
    throw new AppError('INVALID_URL', `Not a valid URL: ${url}`, { cause: err });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AppError('INVALID_URL', `Only http(s) URLs are accepted, not ${parsed.protocol}`, { details: { url } });
  }
  return parsed;
}

async function assertPublicHost(url: URL): Promise<void> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = net.isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch (err) {
    throw new AppError('IMAGE_FETCH_FAILED', `Cannot resolve host ${host}`, { cause: err, details: { url: url.toString() } });
  }
  for (const a of addresses) {
    if (isPrivateAddress(a)) {
      throw new AppError('INVALID_URL', `Refusing to fetch ${url.hostname}: it resolves to a private or loopback address`, {
        details: { url: url.toString() },
      });
    }
  }
}

/** Loopback, private (RFC 1918, ULA), link-local, CGNAT and unspecified addresses. */
export function isPrivateAddress(address: string): boolean {
  if (net.isIPv4(address)) {
    const [a, b] = address.split('.').map(Number) as [number, number];
    return (
      a === 0 || a === 10 || a === 127 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224
    );
  }
  const v6 = address.toLowerCase();
  if (v6.startsWith('::ffff:')) return isPrivateAddress(v6.slice(7));
  return v6 === '::' || v6 === '::1' || v6.startsWith('fc') || v6.startsWith('fd') || v6.startsWith('fe80');
}
