import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUR_MAIN, ourNodeArgs } from './gateway.js';

describe('ourNodeArgs', () => {
  const withStartProd = (command: string) => {
    const root = mkdtempSync(join(tmpdir(), 'node-args-'));
    writeFileSync(join(root, 'package.json'), JSON.stringify({ scripts: { 'start:prod': command } }));
    try {
      return ourNodeArgs(root);
    } finally {
      rmSync(root, { recursive: true });
    }
  };

  it("gives the flags between node and our entry point in start:prod, however they are spaced", () => {
    expect(withStartProd(` node  --no-memory-reducer --max-semi-space-size=32 ${OUR_MAIN} `)).toEqual(['--no-memory-reducer', '--max-semi-space-size=32']);
  });

  it('gives none where start:prod has none (a compared build from before the flags)', () => {
    expect(withStartProd(`node ${OUR_MAIN}`)).toEqual([]);
  });

  it("reads this checkout's start:prod: each argument it gives is a flag", () => {
    expect(ourNodeArgs().every((arg) => arg.startsWith('--'))).toBe(true);
  });

  it('refuses a start:prod that does not run our entry point with node, or none', () => {
    expect(() => withStartProd('node dist/other.js')).toThrow('start:prod does not run node');
    expect(() => withStartProd(`npm exec ${OUR_MAIN}`)).toThrow('start:prod does not run node');
    expect(() => withStartProd('')).toThrow('start:prod does not run node');
  });
});
