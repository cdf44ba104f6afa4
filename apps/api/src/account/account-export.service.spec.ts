import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { bootServices, type ServiceTestbed } from '../../../../test/helpers/service-testbed.js';
import { AccountExportService } from './account-export.service.js';

/** The export service alone: what it needs is in the persistence module the testbed provides. */
@Module({ providers: [AccountExportService] })
class ExportOnlyModule {}

describe('AccountExportService (PGlite)', () => {
  let bed: ServiceTestbed;
  let exports: AccountExportService;

  beforeAll(async () => {
    bed = await bootServices([ExportOnlyModule]);
    exports = bed.module.get(AccountExportService);
  });
  afterAll(() => bed?.close());

  const abandon = async (stream: Readable) => {
    stream.destroy();
    await once(stream, 'close');
  };

  it('runs one export per user at a time, and frees the slot when an export is abandoned or read to its end', async () => {
    const first = await exports.open(bed.userId);
    await expect(exports.open(bed.userId)).rejects.toMatchObject({ code: 'EXPORT_IN_PROGRESS' });
    // Another user is not held up.
    await abandon(await exports.open(bed.otherUserId));

    await abandon(first);
    const second = await exports.open(bed.userId);
    const closed = once(second, 'close');
    expect(JSON.parse(await text(second))).toEqual(expect.objectContaining({ user: expect.objectContaining({ id: bed.userId }), sessions: [] }));
    await closed;
    await abandon(await exports.open(bed.userId));
  });

  it('refuses an account that does not exist without holding its slot', async () => {
    const ghost = randomUUID();
    await expect(exports.open(ghost)).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    await expect(exports.open(ghost)).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
  });
});
