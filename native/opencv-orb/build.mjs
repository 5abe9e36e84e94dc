// Builds the native ORB addon at install time (`npm ci` runs it as the package's install script).
// Optional by design: without OpenCV's headers (Debian: libopencv-features2d-dev) or a compiler the
// build is skipped with a note and shoplens uses OpenCV's WASM build, which finds the same keypoints
// about 4x slower. Never fails the install.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const include = process.env.OPENCV_INCLUDE_DIR ?? '/usr/include/opencv4';
const skip = (why) => {
  console.log(`shoplens: native ORB not built (${why}); local features use OpenCV's WASM build.`);
  process.exit(0);
};

if (process.env.SHOPLENS_NATIVE_ORB === 'skip') skip('SHOPLENS_NATIVE_ORB=skip');
if (!existsSync(path.join(include, 'opencv2', 'features2d.hpp'))) {
  skip(`no OpenCV headers in ${include}; on Debian/Ubuntu: apt-get install libopencv-features2d-dev`);
}
// npm passes its bundled node-gyp to install scripts; outside npm, look next to this node's npm.
const gyp = [process.env.npm_config_node_gyp, path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')]
  .find((p) => p && existsSync(p));
if (!gyp) skip('node-gyp not found');
// Node's own headers when they are installed with it (Debian/NodeSource: /usr/include/node), so the
// build does not download them.
const prefix = path.dirname(path.dirname(process.execPath));
const nodedir = process.env.npm_config_nodedir ?? (existsSync(path.join(prefix, 'include', 'node', 'common.gypi')) ? prefix : undefined);
const args = [gyp, 'rebuild', '--loglevel=warn', `--opencv_include=${include}`, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const r = spawnSync(process.execPath, args, { cwd: here, stdio: 'inherit' });
if (r.status !== 0) skip(`node-gyp exited with ${r.status ?? r.signal}`);
console.log('shoplens: native ORB built (OpenCV from the system).');
