/**
 * The one module that loads TensorFlow.js for the trained projection, on its WebAssembly backend
 * (runs everywhere Node runs; tfjs-node would download a native binary at install time).
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
