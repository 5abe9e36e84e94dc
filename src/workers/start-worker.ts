import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread from a module next to the caller: `name` without extension, resolved
 * against `base` (the caller's import.meta.url). From compiled code (dist/) the worker is plain
 * JS; from the TypeScript sources (tests, `tsx`) it registers tsx's loader first, because tsx's
 * own loader entry skips registration off the main thread.
 */
export function startModuleWorker(base: string, name: string): Worker {
  const fromSource = base.endsWith('.ts');
  const url = new URL(`./${name}${fromSource ? '.ts' : '.js'}`, base);
  if (!fromSource) return new Worker(url);
  // tsx is a dev dependency: only the source tree (tests, `npx tsx`) gets here.
  const tsxApi = pathToFileURL(createRequire(base).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true });
}
