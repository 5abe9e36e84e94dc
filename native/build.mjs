// Builds the native OpenCV addons at install time (`npm ci` runs it as the package's install script).
// Each is optional by design: without its OpenCV headers or a compiler it is skipped with a note, and
// shoplens does without it. Never fails the install.
//   opencv-orb  ORB keypoints and descriptor matching (Debian: libopencv-features2d-dev); without it
//               local features use OpenCV's WASM build, which finds the same keypoints ~4x slower.
//   opencv-line LINE-2D templates (OpenCV contrib's linemod; Debian: libopencv-contrib-dev); without it
//               product lookup does not look for line drawings by their edges.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const include = process.env.OPENCV_INCLUDE_DIR ?? '/usr/include/opencv4';
const addons = [
  { dir: 'opencv-orb', what: 'native ORB', header: 'opencv2/features2d.hpp', apt: 'libopencv-features2d-dev', env: 'SHOPLENS_NATIVE_ORB', without: "local features use OpenCV's WASM build" },
  { dir: 'opencv-line', what: 'native LINE-2D', header: 'opencv2/rgbd/linemod.hpp', apt: 'libopencv-contrib-dev', env: 'SHOPLENS_NATIVE_LINE', without: 'product lookup does without edge templates' },
];

// npm passes its bundled node-gyp to install scripts; outside npm, look next to this node's npm.
const gyp = [process.env.npm_config_node_gyp, path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')]
  .find((p) => p && existsSync(p));
// Node's own headers when they are installed with it (Debian/NodeSource: /usr/include/node), so the
// build does not download them.
const prefix = path.dirname(path.dirname(process.execPath));
const nodedir = process.env.npm_config_nodedir ?? (existsSync(path.join(prefix, 'include', 'node', 'common.gypi')) ? prefix : undefined);

for (const a of addons) {
  const skip = (why) => console.log(`shoplens: ${a.what} not built (${why}); ${a.without}.`);
  if (process.env[a.env] === 'skip') { skip(`${a.env}=skip`); continue; }
  if (!existsSync(path.join(include, a.header))) { skip(`no ${a.header} in ${include}; on Debian/Ubuntu: apt-get install ${a.apt}`); continue; }
  if (!gyp) { skip('node-gyp not found'); continue; }
  const args = [gyp, 'rebuild', '--loglevel=warn', `--opencv_include=${include}`, ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
  const r = spawnSync(process.execPath, args, { cwd: path.join(here, a.dir), stdio: 'inherit' });
  if (r.status !== 0) { skip(`node-gyp exited with ${r.status ?? r.signal}`); continue; }
  console.log(`shoplens: ${a.what} built (OpenCV from the system).`);
}
