import { describe, expect, it } from '@jest/globals';
import { weightedOrder } from './model-aliases.service.js';

const targets = [
  { provider: 'openai', model: 'a', weight: 3 },
  { provider: 'openai', model: 'b', weight: 1 },
  { provider: 'anthropic', model: 'c' },
];

describe('weightedOrder', () => {
  it('draws each target once, with a chance proportional to its weight among those left', () => {
    // 5 in all: a draw of 2.5 picks `a`; of `b` and `c` (2 in all) a draw of 1 picks `c`.
    expect(weightedOrder(targets, () => 0.5).map((target) => target.model)).toEqual(['a', 'c', 'b']);
    // 3.5 picks `b`; of `a` and `c` (4 in all) 2.8 picks `a`.
    expect(weightedOrder(targets, () => 0.7).map((target) => target.model)).toEqual(['b', 'a', 'c']);
    expect(weightedOrder(targets, () => 0).map((target) => target.model)).toEqual(['a', 'b', 'c']);
    expect(weightedOrder(targets, () => 0.999).map((target) => target.model)).toEqual(['c', 'b', 'a']);
  });

  it('spreads first picks by weight', () => {
    const firsts = { a: 0, b: 0, c: 0 } as Record<string, number>;
    for (let i = 0; i < 100; i++) firsts[weightedOrder(targets, () => i / 100)[0]!.model]! += 1;
    expect(firsts).toEqual({ a: 60, b: 20, c: 20 });
  });
});
