import type { DynamicModule, Type } from '@nestjs/common';
import { ConfigModule, type ConfigType } from '@nestjs/config';
import { Test, type TestingModule, type TestingModuleBuilder } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { AiModule } from '@app/ai';
import { CommonModule, CONFIG_SECTIONS, upstreamConfig } from '@app/common';
import { PersistenceModule, UsersRepository } from '@app/persistence';
import { type FakeLlmServer, startFakeLlm } from '../../apps/fake-llm/src/fake-llm.server.js';
import { FAKE_UPSTREAM_ENV } from '../factories/provider.factory.js';
import { TEST_ENV } from './test-app.js';
import { copyPgliteTemplate } from './test-database.js';

/**
 * Services booted in this process ("medium" tests): a copy of the run's migrated PGlite (or the database the suite
 * names with DATABASE_URL), the fake upstream, no Redis.
 */
export interface ServiceTestbed {
  module: TestingModule;
  fake: FakeLlmServer;
  /** A user of its own, made in the database. */
  userId: string;
  /** A second user, for what must not touch the first one's. */
  otherUserId: string;
  close(): Promise<void>;
}

/**
 * Compiles `imports` over the same root modules the app has (config, database, providers' HTTP), with the
 * environment the e2e suites give the server plus `env`. The environment is restored once the config is read,
 * so suites in one process do not see each other's.
 */
export async function bootServices(
  imports: (Type | DynamicModule)[],
  env: Record<string, string> = {},
  adjust: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder,
): Promise<ServiceTestbed> {
  const fake = await startFakeLlm({ port: 0 });
  // A suite that passes its own DATABASE_URL needs no PGlite.
  const pglite = env.DATABASE_URL ? undefined : copyPgliteTemplate();
  let module: TestingModule | undefined;
  const close = async () => {
    try {
      await module?.close();
    } finally {
      await fake.close();
      await pglite?.drop();
    }
  };
  try {
    module = await compileWith(imports, { ...TEST_ENV, ...FAKE_UPSTREAM_ENV, ...pglite?.env, ...env }, adjust);
    const users = module.get(UsersRepository);
    const createUser = () => users.createUser({ email: `${randomUUID()}@example.com`, passwordHash: 'unused', displayName: 'Tester' });
    const [user, other] = [await createUser(), await createUser()];
    return { module, fake, userId: user!.id, otherUserId: other!.id, close };
  } catch (error) {
    // What a failed start left open: the suite gets no testbed to close.
    await close().catch(() => undefined);
    throw error;
  }
}

/** The testing module, compiled and initialised with `env` as the process's environment, which is then restored. */
async function compileWith(
  imports: (Type | DynamicModule)[],
  env: Record<string, string | undefined>,
  adjust: (builder: TestingModuleBuilder) => TestingModuleBuilder,
): Promise<TestingModule> {
  const saved = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'NATS_URL']) delete process.env[name];
  Object.assign(process.env, env);
  try {
    const builder = Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: CONFIG_SECTIONS }),
        CommonModule,
        PersistenceModule.forRoot(),
        AiModule.forRootAsync({ inject: [upstreamConfig.KEY], useFactory: (config: ConfigType<typeof upstreamConfig>) => config }),
        ...imports,
      ],
    });
    const module = await adjust(builder).compile();
    await module.init();
    return module;
  } finally {
    process.env = saved;
  }
}
