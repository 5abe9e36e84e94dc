/**
 * The one place that loads TensorFlow.js's WebAssembly backend and selects it, for the trained
 * projection and the nsfwjs CNN (runs everywhere Node runs; tfjs-node would download a native
 * binary at install time).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

let ready: Promise<typeof tf> | null = null;

/** TensorFlow.js with the WASM backend selected; initialised once per thread. */
export function tensorflow(): Promise<typeof tf> {
  ready ??= (async () => {
    if (tf.getBackend() !== 'wasm') {
      const ok = await tf.setBackend('wasm');
      if (!ok) throw new Error('TensorFlow.js WASM backend failed to initialise');
    }
    await tf.ready();
    return tf;
  })();
  return ready;
}

export type Tf = typeof tf;
