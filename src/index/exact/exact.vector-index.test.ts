import { describeVectorIndexContract } from '../vector-index.contract.js';
import { ExactVectorIndex } from './exact.vector-index.js';

describeVectorIndexContract('exact', {
  create: (options) => new ExactVectorIndex(options),
  load: (path) => ExactVectorIndex.load(path),
  approximate: false,
});
