import { describe, expect, it } from 'vitest';
import { normalizedMutualInformation, purity } from './cluster-metrics.js';

describe('normalizedMutualInformation', () => {
  it('is 1 for identical labelings up to renaming', () => {
    expect(normalizedMutualInformation([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 9, 9])).toBeCloseTo(1, 12);
  });

  it('is 0 for independent labelings', () => {
    // Every (truth, predicted) pair occurs once: knowing one says nothing about the other.
    expect(normalizedMutualInformation([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(0, 12);
  });

  it('matches a hand-computed case', () => {
    // truth [0,0,0,1,1,1], predicted [0,0,1,1,1,1]
    // H(T) = ln 2; H(P) = -(1/3 ln 1/3 + 2/3 ln 2/3)
    // I = 2/6 ln(6*2/(3*2)) + 1/6 ln(6*1/(3*4)) + 3/6 ln(6*3/(3*4))
    const hT = Math.log(2);
    const hP = -((1 / 3) * Math.log(1 / 3) + (2 / 3) * Math.log(2 / 3));
    const i = (2 / 6) * Math.log(2) + (1 / 6) * Math.log(0.5) + (3 / 6) * Math.log(1.5);
    expect(normalizedMutualInformation([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1])).toBeCloseTo(i / ((hT + hP) / 2), 12);
    // The same value worked out with Python's math module: 0.4787039714...
    expect(normalizedMutualInformation([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1])).toBeCloseTo(0.47870397, 7);
  });

  it('rejects labelings of different length', () => {
    expect(() => normalizedMutualInformation([0, 1], [0])).toThrow(/length/);
  });
});

describe('purity', () => {
  it('counts each cluster\'s majority class', () => {
    // cluster 0: classes a,a,b → 2; cluster 1: b,b,b,a → 3; total 5 of 7.
    expect(purity([0, 0, 1, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1, 1])).toBeCloseTo(5 / 7, 12);
  });

  it('is 1 when every item is its own cluster', () => {
    expect(purity([0, 1, 2, 0], [0, 1, 2, 3])).toBe(1);
  });
});
