import { describe, expect, it } from 'vitest';
import { AppError } from '../domain/errors.js';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('uses defaults, then env, then overrides', () => {
    const c = loadConfig({ port: '9000' }, { SHOPLENS_PORT: '7000', SHOPLENS_INDEX: 'exact' });
    expect(c.port).toBe(9000);
    expect(c.indexKind).toBe('exact');
    expect(c.maxImagePixels).toBe(40_000_000);
    expect(c.dataDir.startsWith('/')).toBe(true);
  });

  it('parses booleans from env', () => {
    expect(loadConfig({}, { SHOPLENS_ALLOW_PRIVATE_URLS: 'yes' }).allowPrivateUrls).toBe(true);
    expect(loadConfig({}, { SHOPLENS_ALLOW_PRIVATE_URLS: '0' }).allowPrivateUrls).toBe(false);
    expect(loadConfig({}, {}).localFeatures).toBe('auto');
    expect(loadConfig({}, { SHOPLENS_LOCAL_FEATURES: 'on' }).localFeatures).toBe(true);
    expect(loadConfig({}, { SHOPLENS_LOCAL_FEATURES: 'false' }).localFeatures).toBe(false);
    expect(loadConfig({}, { SHOPLENS_LOCAL_FEATURES: 'auto' }).localFeatures).toBe('auto');
    expect(() => loadConfig({}, { SHOPLENS_LOCAL_FEATURES: 'sometimes' })).toThrow(/localFeatures/);
    expect(loadConfig({}, {}).nativeOrb).toBe(true);
    for (const off of ['off', 'false', 'skip']) expect(loadConfig({}, { SHOPLENS_NATIVE_ORB: off }).nativeOrb).toBe(false);
    expect(() => loadConfig({}, { SHOPLENS_NATIVE_ORB: 'maybe' })).toThrow(/nativeOrb/);
  });

  it('reads the rotation product lookup expects, within 0–180 degrees', () => {
    expect(loadConfig({}, {}).lookupMaxRotation).toBe(45);
    expect(loadConfig({}, { SHOPLENS_LOOKUP_MAX_ROTATION: '180' }).lookupMaxRotation).toBe(180);
    expect(() => loadConfig({}, { SHOPLENS_LOOKUP_MAX_ROTATION: '270' })).toThrow(/lookupMaxRotation/);
  });

  it('reports every bad value in one error', () => {
    let err: unknown;
    try {
      loadConfig({}, { SHOPLENS_PORT: 'abc', SHOPLENS_INDEX: 'faiss', SHOPLENS_MAX_IMAGE_PIXELS: '-1' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect(e.code).toBe('INVALID_CONFIG');
    expect(e.message).toContain('SHOPLENS_PORT');
    expect(e.message).toContain('SHOPLENS_INDEX');
    expect(e.message).toContain('SHOPLENS_MAX_IMAGE_PIXELS');
  });
});
