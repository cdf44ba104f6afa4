import { describe, expect, it } from '@jest/globals';
import { maskSecret, SecretCipher } from './secret-cipher.js';

const keyA = Buffer.alloc(32, 1);
const keyB = Buffer.alloc(32, 2);
const cipherWith = (id: string, key: Buffer, previous: [string, Buffer][] = []) =>
  new SecretCipher({ encryptionKeyId: id, encryptionKey: key, previousEncryptionKeys: new Map(previous) } as never);

describe('SecretCipher', () => {
  it('round-trips with a fresh IV each time and never stores the plaintext', () => {
    const cipher = cipherWith('k1', keyA);
    const first = cipher.encrypt('sk-secret-value');
    const second = cipher.encrypt('sk-secret-value');
    expect(first).not.toBe(second);
    expect(first).toMatch(/^enc:k1:/);
    expect(first).not.toContain('sk-secret-value');
    expect(cipher.decrypt(first)).toBe('sk-secret-value');
  });

  it('detects tampering', () => {
    const cipher = cipherWith('k1', keyA);
    const sealed = cipher.encrypt('sk-secret-value');
    const bytes = Buffer.from(sealed.split(':')[2]!, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    expect(() => cipher.decrypt(`enc:k1:${bytes.toString('base64')}`)).toThrow();
  });

  it('decrypts values sealed with a previous key during a rotation', () => {
    const old = cipherWith('k1', keyA).encrypt('sk-old');
    const rotated = cipherWith('k2', keyB, [['k1', keyA]]);
    expect(rotated.decrypt(old)).toBe('sk-old');
    expect(rotated.needsRotation(old)).toBe(true);
    expect(rotated.needsRotation(rotated.encrypt('sk-new'))).toBe(false);
    expect(() => cipherWith('k2', keyB).decrypt(old)).toThrow(/key "k1"/);
  });
});

describe('maskSecret', () => {
  it('keeps a short prefix and the last four characters only', () => {
    expect(maskSecret('sk-proj-abcdefghijkl1234')).toBe('sk-…1234');
    expect(maskSecret('AIzaSyD-abcdefghijklmnop')).toBe('…mnop');
    expect(maskSecret('short')).toBe('…rt');
  });
});
