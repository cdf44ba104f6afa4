import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { bootWithAdmin } from './factories/admin.factory.js';
import { registerUser, type TestUser } from './factories/user.factory.js';
import type { TestApp } from './helpers/test-app.js';

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';

interface Operation {
  security?: Record<string, string[]>[];
}

/** A body that passes validation, so a 403 cannot hide behind a 400, nor an admin's success behind one. */
const PRICE = { currency: 'USD', inputPerMillion: '1', outputPerMillion: '2', cachedInputPerMillion: '0.5', reasoningPerMillion: '2' };
const BODIES: Record<string, object> = {
  'patch /api/admin/users/{id}/role': { role: 'admin' },
  'post /api/admin/prices': { ...PRICE, provider: 'openai', model: 'roles-matrix' },
  'put /api/admin/prices/{id}': PRICE,
  'put /api/admin/budgets/{role}': { monthlyLimit: '0' },
  'put /api/admin/users/{id}/budget': { monthlyLimit: '0' },
};

/** Every admin route that exists today: the matrix must find at least these in the server's own route list. */
const KNOWN_ADMIN_ROUTES = [
  'get /api/admin/users',
  'get /api/admin/users/{id}',
  'patch /api/admin/users/{id}/role',
  'post /api/admin/users/{id}/disable',
  'post /api/admin/users/{id}/enable',
  'delete /api/admin/users/{id}',
  'get /api/admin/audit',
  'get /api/admin/feedback',
  'get /api/admin/budgets',
  'put /api/admin/budgets/{role}',
  'delete /api/admin/budgets/{role}',
  'get /api/admin/users/{id}/budget',
  'put /api/admin/users/{id}/budget',
  'delete /api/admin/users/{id}/budget',
];

describe('role matrix: every /api/admin route (e2e)', () => {
  let api: TestApp;
  let admin: TestUser;
  let member: TestUser;
  let adminRoutes: { route: string; method: Method; path: string; operation: Operation }[];

  /** Fills every path parameter with `id`. */
  const call = (method: Method, path: string, id: string) => {
    const route = `${method} ${path}`;
    return api.http()[method](path.replace(/\{\w+\}/g, id)).send(BODIES[route] ?? {});
  };

  beforeAll(async () => {
    ({ api, admin } = await bootWithAdmin());
    member = await registerUser(api);
    const document = (await api.http().get('/api/docs-json').expect(200)).body as { paths: Record<string, Partial<Record<Method, Operation>>> };
    adminRoutes = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/api/admin/') || path === '/api/admin')
      .flatMap(([path, operations]) => (Object.entries(operations) as [Method, Operation][]).map(([method, operation]) => ({ route: `${method} ${path}`, method, path, operation })));
  });
  afterAll(() => api?.close());

  it('finds every admin route in the served route list, each documented as needing a bearer token', () => {
    expect(adminRoutes.map(({ route }) => route)).toEqual(expect.arrayContaining(KNOWN_ADMIN_ROUTES));
    for (const { route, operation } of adminRoutes) expect([route, operation.security]).toEqual([route, [{ bearer: [] }]]);
  });

  it('answers 401 without a token, and with a token that is not valid', async () => {
    for (const { route, method, path } of adminRoutes) {
      const anonymous = await call(method, path, member.id);
      expect([route, anonymous.status, anonymous.body.code]).toEqual([route, 401, 'UNAUTHENTICATED']);
      const forged = await call(method, path, member.id).set('Authorization', `Bearer ${member.token}x`);
      expect([route, forged.status]).toEqual([route, 401]);
    }
  });

  it('answers 403 in the error shape to a member, even on their own account, and changes nothing', async () => {
    for (const { route, method, path } of adminRoutes) {
      for (const id of [member.id, admin.id]) {
        const response = await call(method, path, id).set(member.auth);
        expect([route, response.status, response.body]).toEqual([
          route,
          403,
          { statusCode: 403, error: 'Forbidden', code: 'FORBIDDEN', message: 'This route is for admin accounts only' },
        ]);
      }
    }
    // The member tried to make themselves admin, and to disable and delete the admin: none of it happened.
    await api.http().get('/api/auth/me').set(member.auth).expect(200);
    const self = await api.http().get(`/api/admin/users/${member.id}`).set(admin.auth).expect(200);
    expect(self.body).toEqual(expect.objectContaining({ role: 'member', disabledAt: null }));
    await api.http().get('/api/admin/audit').set(admin.auth).expect(200);
  });

  it("refuses an admin's personal API key on every admin route: admin routes take a signed-in session only", async () => {
    const key = (await api.http().post('/api/keys').set(admin.auth).send({ name: 'automation' }).expect(201)).body.key as string;
    for (const { route, method, path } of adminRoutes) {
      const response = await call(method, path, member.id).set('Authorization', `Bearer ${key}`);
      expect([route, response.status, response.body.code]).toEqual([route, 401, 'UNAUTHENTICATED']);
    }
  });

  it('lets an admin through on every admin route (an unknown id is 404, never 401 or 403)', async () => {
    for (const { route, method, path } of adminRoutes) {
      const response = await call(method, path, randomUUID()).set(admin.auth);
      // The one creating route without an id (a price) answers 201.
      const expected = path.includes('{') ? 404 : method === 'post' ? 201 : 200;
      expect([route, response.status]).toEqual([route, expected]);
    }
  });
});
