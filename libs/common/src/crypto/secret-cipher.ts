import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { authConfig } from '../config/auth.config.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'enc';

/**
 * AES-256-GCM for secrets at rest. The stored form is `enc:<keyId>:<base64(iv | tag | ciphertext)>`: the key id
 * lets a rotation decrypt old values with ENCRYPTION_PREVIOUS_KEYS while new values use the current key.
 */
@Injectable()
export class SecretCipher {
  private readonly keys: Map<string, Buffer>;

  constructor(@Inject(authConfig.KEY) private readonly config: ConfigType<typeof authConfig>) {
    this.keys = new Map(config.previousEncryptionKeys);
    this.keys.set(config.encryptionKeyId, config.encryptionKey);
  }

  encrypt(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.config.encryptionKey, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const payload = Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64');
    return `${PREFIX}:${this.config.encryptionKeyId}:${payload}`;
  }

  decrypt(stored: string): string {
    const [prefix, keyId, payload] = stored.split(':');
    const key = keyId === undefined ? undefined : this.keys.get(keyId);
    if (prefix !== PREFIX || !key || !payload) throw new Error(`Cannot decrypt a secret sealed with key "${keyId}"`);
    const bytes = Buffer.from(payload, 'base64');
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }

  /** True when the value was sealed with a retired key and should be re-encrypted. */
  needsRotation(stored: string): boolean {
    return stored.split(':')[1] !== this.config.encryptionKeyId;
  }
}

/** `sk-proj-abcdef123456` → `sk-…3456`: enough to recognise a key, never enough to use it. */
export function maskSecret(secret: string): string {
  if (secret.length <= 8) return '…' + secret.slice(-2);
  const dash = secret.indexOf('-');
  const prefix = dash > 0 && dash <= 4 ? secret.slice(0, dash + 1) : '';
  return `${prefix}…${secret.slice(-4)}`;
}
