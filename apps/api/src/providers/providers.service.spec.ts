import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { parseAuthConfig, SecretCipher } from '@app/common';
import { AuditEventsRepository, ProviderConnectionsRepository, ProviderCredentialsRepository, UsersRepository } from '@app/persistence';
import { FAKE_BASE_PATHS, FAKE_KEY } from '../../../../test/factories/provider.factory.js';
import { eventually } from '../../../../test/helpers/eventually.js';
import { bootServices, type ServiceTestbed } from '../../../../test/helpers/service-testbed.js';
import { TEST_ENV } from '../../../../test/helpers/test-app.js';
import { MetricsModule } from '../observability/metrics.module.js';
import { RedisModule } from '../redis/redis.module.js';
import { ProvidersModule } from './providers.module.js';
import { ConnectionsService } from './connections.service.js';
import { ProvidersService } from './providers.service.js';

/** Where the calls come from, as the controller passes it to the audit log. */
const origin = { clientAddress: '203.0.113.7', requestId: 'req-1' };

describe('ProvidersService (PGlite)', () => {
  let bed: ServiceTestbed;
  let providers: ProvidersService;
  let baseUrl: string;

  beforeAll(async () => {
    bed = await bootServices([MetricsModule, RedisModule, ProvidersModule]);
    providers = bed.module.get(ProvidersService);
    baseUrl = `${bed.fake.url}${FAKE_BASE_PATHS.openai}`;
  });
  afterAll(() => bed?.close());

  it("keeps a user's key sealed and gives it back, with the base URL, only for that user's own calls", async () => {
    await providers.upsert(bed.userId, 'openai', { apiKey: FAKE_KEY, baseUrl, defaultModel: 'fake:deltas=1' }, origin);
    const row = await bed.module.get(ProviderCredentialsRepository).findOwned(bed.userId, 'openai');
    expect(row?.apiKeyEncrypted).toBeTruthy();
    expect(row?.apiKeyEncrypted).not.toContain(FAKE_KEY);
    expect(row?.apiKeyHint).not.toBe(FAKE_KEY);
    expect(await providers.resolveEndpoint(bed.userId, 'openai')).toMatchObject({ apiKey: FAKE_KEY, baseUrl, defaultModel: 'fake:deltas=1' });

    const other = await bed.module.get(UsersRepository).createUser({ email: `${randomUUID()}@example.com`, passwordHash: 'unused', displayName: 'Other' });
    await expect(providers.resolveEndpoint(other!.id, 'openai')).rejects.toMatchObject({ code: 'PROVIDER_NOT_CONFIGURED' });
    expect((await providers.list(other!.id)).find(({ info }) => info.id === 'openai')?.configured).toBe(false);
    expect((await providers.list(bed.userId)).find(({ info }) => info.id === 'openai')?.configured).toBe(true);
  });

  it('keeps the saved key when settings are saved again without one', async () => {
    await providers.upsert(bed.userId, 'openai', { baseUrl }, origin);
    expect((await providers.resolveEndpoint(bed.userId, 'openai')).apiKey).toBe(FAKE_KEY);
  });

  it('unseals a key once for the turns of the next minute, and uses a newly saved key at once', async () => {
    const cipher = bed.module.get(SecretCipher);
    const decrypt = jest.spyOn(cipher, 'decrypt');
    try {
      await providers.upsert(bed.userId, 'deepseek', { apiKey: 'first-key', baseUrl: `${bed.fake.url}${FAKE_BASE_PATHS.openai}` }, origin);
      expect((await providers.resolveEndpoint(bed.userId, 'deepseek')).apiKey).toBe('first-key');
      expect((await providers.resolveEndpoint(bed.userId, 'deepseek')).apiKey).toBe('first-key');
      expect(decrypt).toHaveBeenCalledTimes(1);

      await providers.upsert(bed.userId, 'deepseek', { apiKey: 'second-key' }, origin);
      expect((await providers.resolveEndpoint(bed.userId, 'deepseek')).apiKey).toBe('second-key');
      expect(decrypt).toHaveBeenCalledTimes(2);
    } finally {
      decrypt.mockRestore();
      await providers.remove(bed.userId, 'deepseek', origin);
    }
  });

  it('refuses what cannot work before saving it: no key, no base URL where one is needed, a private address', async () => {
    await expect(providers.upsert(bed.userId, 'anthropic', { baseUrl }, origin)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(providers.upsert(bed.userId, 'custom', { apiKey: FAKE_KEY }, origin)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    // Only 127.0.0.1 is allow-listed for the fake upstream; any other special-purpose address stays refused.
    await expect(providers.upsert(bed.userId, 'custom', { apiKey: FAKE_KEY, baseUrl: 'http://10.0.0.1/v1' }, origin)).rejects.toMatchObject({
      code: 'UPSTREAM_URL_REJECTED',
    });
    await expect(providers.get(bed.userId, 'custom')).rejects.toMatchObject({ code: 'CREDENTIAL_NOT_FOUND' });
  });

  it('needs no settings for echo, and forgets removed settings at once', async () => {
    expect((await providers.resolveEndpoint(bed.userId, 'echo')).info.id).toBe('echo');
    await providers.upsert(bed.userId, 'gemini', { apiKey: FAKE_KEY, baseUrl: `${bed.fake.url}${FAKE_BASE_PATHS.gemini}` }, origin);
    await providers.resolveEndpoint(bed.userId, 'gemini');
    await providers.remove(bed.userId, 'gemini', origin);
    await expect(providers.resolveEndpoint(bed.userId, 'gemini')).rejects.toMatchObject({ code: 'PROVIDER_NOT_CONFIGURED' });
    await expect(providers.remove(bed.userId, 'gemini', origin)).rejects.toMatchObject({ code: 'CREDENTIAL_NOT_FOUND' });
  });

  it('audits each save and removal by its user, with where it came from, and never the key', async () => {
    const events = await bed.module.get(AuditEventsRepository).list({ actor: bed.userId }, 100);
    const actions = events.map((event) => [event.action, event.target]);
    expect(actions).toEqual(expect.arrayContaining([['provider.credential_saved', 'openai'], ['provider.credential_saved', 'gemini'], ['provider.credential_deleted', 'gemini']]));
    // Refused saves are not audited: nothing was saved.
    expect(actions).not.toContainEqual(['provider.credential_saved', 'custom']);
    expect(events[0]).toMatchObject({ clientAddress: origin.clientAddress, requestId: origin.requestId });
    const saved = events.find((event) => event.action === 'provider.credential_saved' && event.target === 'openai');
    expect(saved?.detail).toEqual(expect.objectContaining({ keyChanged: expect.any(Boolean), baseUrlHost: new URL(baseUrl).host }));
    expect(JSON.stringify(events)).not.toContain(FAKE_KEY);
  });

  it("chooses among the organisation's connections: those listing the model first, several taking turns; a named one through endpointForConnection", async () => {
    const connections = bed.module.get(ConnectionsService);
    const member = await bed.module.get(UsersRepository).createUser({ email: `${randomUUID()}@example.com`, passwordHash: 'unused', displayName: 'Member' });
    const make = (name: string, models: string[]) => connections.create(bed.userId, { provider: 'openai', name, apiKey: `sk-${name}-0000`, baseUrl, models }, origin);
    const any = await make('any', []);
    const listingA = await make('listing-a', ['gpt-4o']);
    const listingB = await make('listing-b', ['gpt-4o']);
    const used = async (model?: string) => (await providers.resolveEndpoint(member!.id, 'openai', model)).connectionId;
    expect(new Set([await used('gpt-4o'), await used('gpt-4o')])).toEqual(new Set([listingA.id, listingB.id]));
    expect(await used('gpt-4o-mini')).toBe(any.id);
    expect(await providers.resolveEndpoint(member!.id, 'openai', 'gpt-4o-mini')).toMatchObject({ apiKey: 'sk-any-0000', baseUrl, source: 'organisation' });
    // The user's own key wins, and says so.
    expect(await providers.resolveEndpoint(bed.userId, 'openai', 'gpt-4o')).toMatchObject({ apiKey: FAKE_KEY, connectionId: null, source: 'user' });

    expect(await providers.endpointForConnection(listingA.id)).toMatchObject({ apiKey: 'sk-listing-a-0000', defaultModel: 'gpt-4o', connectionId: listingA.id, source: 'organisation' });
    await connections.update(bed.userId, listingA.id, { enabled: false }, origin);
    await expect(providers.endpointForConnection(listingA.id)).rejects.toMatchObject({ code: 'CONNECTION_UNAVAILABLE' });
    expect(await used('gpt-4o')).toBe(listingB.id);
    for (const connection of [any, listingA, listingB]) await connections.remove(bed.userId, connection.id, origin);
    await expect(providers.resolveEndpoint(member!.id, 'openai', 'gpt-4o')).rejects.toMatchObject({ code: 'PROVIDER_NOT_CONFIGURED' });
  });
});

describe('ProvidersService: a connection key sealed with a retired encryption key (PGlite)', () => {
  const OLD_KEY = '11'.repeat(32);
  let bed: ServiceTestbed;

  beforeAll(async () => {
    bed = await bootServices([MetricsModule, RedisModule, ProvidersModule], { ENCRYPTION_KEY: '22'.repeat(32), ENCRYPTION_KEY_ID: 'k2', ENCRYPTION_PREVIOUS_KEYS: `k1:${OLD_KEY}` });
  });
  afterAll(() => bed?.close());

  it('is used, and sealed again with the current key on use', async () => {
    const retired = new SecretCipher(parseAuthConfig({ ...TEST_ENV, ENCRYPTION_KEY: OLD_KEY, ENCRYPTION_KEY_ID: 'k1' }));
    const repository = bed.module.get(ProviderConnectionsRepository);
    const fields = { provider: 'openai', name: 'old', apiKeyEncrypted: retired.encrypt(FAKE_KEY), apiKeyHint: 'sk-…0001', baseUrl: null, models: [], enabled: true };
    await repository.create('sealed-long-ago', fields);
    expect(await bed.module.get(ProvidersService).endpointForConnection('sealed-long-ago')).toMatchObject({ apiKey: FAKE_KEY });
    await eventually(async () => expect((await repository.find('sealed-long-ago'))?.apiKeyEncrypted).toMatch(/^enc:k2:/));
  });
});
