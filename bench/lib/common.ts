/**
 * Shared helpers for the benchmarks: machine description, progress lines, percentiles,
 * curve interpolation and result files. No test-framework imports: plain scripts use them.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

export interface MachineInfo {
  cpu: string;
  cores: number;
  ramGiB: number;
  node: string;
  platform: string;
  date: string;
  /** 1/5/15-minute load averages when the run started: the machine is shared, so timings are noisy. */
  loadAverage: number[];
  /** The code measured: HEAD commit, and whether the working tree had uncommitted changes. */
  git: { commit: string; dirty: boolean } | null;
}

function gitState(): MachineInfo['git'] {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return null;
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadAverage: os.loadavg().map((x) => round(x, 2)),
    git: gitState(),
  };
}

const T0 = performance.now();
/** A progress line on stderr (stdout stays free for JSON). */
export function log(scope: string, msg: string): void {
  const s = ((performance.now() - T0) / 1000).toFixed(1).padStart(7);
  process.stderr.write(`[${s}s] ${scope}: ${msg}\n`);
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Nearest-rank percentile of an ascending array (p in 0..100). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export interface CurvePoint {
  recall: number;
  qps: number;
}

export interface InterpolatedQps {
  qps: number | null;
  /**
   * 'interpolated': between two measured points (log-linear QPS against recall);
   * 'lower-bound': the lowest-effort point already exceeds the target, so its QPS is a floor;
   * 'not-reached': no point reaches the target.
   */
  how: 'interpolated' | 'lower-bound' | 'not-reached';
}

/**
 * QPS at a target recall on a speed/recall curve given in sweep order (increasing effort).
 * Between the first pair of consecutive points that brackets the target, log(QPS) is
 * interpolated linearly in recall (QPS falls roughly geometrically as effort doubles).
 */
export function qpsAtRecall(points: readonly CurvePoint[], target: number): InterpolatedQps {
  if (points.length === 0) return { qps: null, how: 'not-reached' };
  if (points[0]!.recall >= target) return { qps: points[0]!.qps, how: 'lower-bound' };
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1]!, b = points[i]!;
    if (a.recall < target && b.recall >= target) {
      const t = (target - a.recall) / (b.recall - a.recall);
      return { qps: Math.exp(Math.log(a.qps) + t * (Math.log(b.qps) - Math.log(a.qps))), how: 'interpolated' };
    }
  }
  return { qps: null, how: 'not-reached' };
}

export function resultPath(name: string, quick: boolean): string {
  return path.join(RESULTS_DIR, `${name}${quick ? '.quick' : ''}.json`);
}

export function writeResult(name: string, quick: boolean, data: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = resultPath(name, quick);
  writeFileSync(file, JSON.stringify(data, null, 2) + '\n');
  return file;
}

export function readResult<T>(name: string, quick: boolean): T | null {
  const file = resultPath(name, quick);
  if (!existsSync(file)) return null;
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

export interface BenchArgs {
  quick: boolean;
  only: Set<string> | null;
  rest: string[];
}

export function parseArgs(argv: string[] = process.argv.slice(2)): BenchArgs {
  let quick = false;
  let only: Set<string> | null = null;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') quick = true;
    else if (a === '--only') only = new Set((argv[++i] ?? '').split(',').map((s) => s.trim()).filter(Boolean));
    else if (a.startsWith('--only=')) only = new Set(a.slice(7).split(',').map((s) => s.trim()).filter(Boolean));
    else rest.push(a);
  }
  return { quick, only, rest };
}

/** Runs a command, streaming its stderr through; resolves with stdout, exit code. */
export function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO_ROOT, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Runs a TypeScript bench script in a fresh Node process (through tsx), returning its exit code. */
export function runTs(script: string, args: string[], extraNodeArgs: string[] = [], env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [...extraNodeArgs, '--import', 'tsx', path.join(REPO_ROOT, script), ...args], env ? { env } : {});
}

export function rssMiB(): number {
  return process.memoryUsage().rss / 2 ** 20;
}

/**
 * A worker_thread running a TypeScript file. Workers do not inherit tsx's loader, so a tiny eval'd
 * bootstrap registers it (tsImport) and then loads `entry`.
 */
export function tsWorker(entry: URL, workerData: unknown, transferList: Transferable[] = []): Worker {
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(entry.href)}, ${JSON.stringify(import.meta.url)}))` +
    `.catch((e) => { setImmediate(() => { throw e; }); });`;
  return new Worker(boot, { eval: true, workerData, transferList: transferList as never });
}

/** sha256 (hex, 16 chars) of a prefix plus every non-test file under the given repo paths (missing paths skipped). */
export function codeHash(prefix: string, paths: readonly string[]): string {
  const h = createHash('sha256').update(`${prefix}\n`);
  const walk = (rel: string): void => {
    const abs = path.join(REPO_ROOT, rel);
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) walk(path.join(rel, name));
    } else if (!rel.endsWith('.test.ts')) {
      h.update(`${rel}\n`).update(readFileSync(abs));
    }
  };
  for (const rel of paths) walk(rel);
  return h.digest('hex').slice(0, 16);
}

/**
 * A directory under $TMPDIR/shoplens-bench-cache/<name>: reused when `<name>/<marker>` exists,
 * else `build` fills a fresh temp directory (and must write the marker), which is then renamed into
 * place (same file system: the entry appears complete or not at all). Returns the directory.
 *
 * Names end in the hash of the code that defines the entry (`<kind>-<sizes>-<hash>`). A new build
 * removes the entries of the same kind and sizes under another hash: they were built by older code
 * and are not read again (each 10,000-image lookup entry holds ~1.5 GB; a dozen code changes
 * filled 7.6 GB of $TMPDIR). Other kinds and sizes are kept.
 */
export async function cachedBuild(name: string, marker: string, useCache: boolean, build: (work: string) => Promise<void>): Promise<{ dir: string; cached: boolean }> {
  const root = path.join(os.tmpdir(), 'shoplens-bench-cache');
  const dir = path.join(root, name);
  if (useCache && existsSync(path.join(dir, marker))) return { dir, cached: true };
  const work = mkdtempSync(path.join(os.tmpdir(), `shoplens-bench-build-`));
  try {
    await build(work);
    mkdirSync(root, { recursive: true });
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
  const cut = name.lastIndexOf('-');
  for (const entry of cut > 0 ? readdirSync(root) : []) {
    if (entry !== name && entry.lastIndexOf('-') === cut && entry.startsWith(name.slice(0, cut + 1))) rmSync(path.join(root, entry), { recursive: true, force: true });
  }
  return { dir, cached: false };
}
