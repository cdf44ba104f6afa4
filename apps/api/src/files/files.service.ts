import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { createHash, randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AppError, filesConfig } from '@app/common';
import { FilesRepository, type ExternalFileRef, type StoredFile } from '@app/persistence';
import { decodeCursor, encodeCursor } from '../http/page-cursor.js';
import { FileDirectoryStore } from './file-directory.store.js';
import { sanitiseFilename, sniffAllowedType } from './file-types.js';

/** What the multipart parser kept of the one file of an upload. */
export interface UploadedBytes {
  buffer: Buffer;
  originalname?: string;
}

export interface FilePage {
  files: StoredFile[];
  nextCursor: string | null;
}

/** A stored file with its bytes. */
export interface FileWithBytes {
  file: StoredFile;
  bytes: Buffer;
}

/**
 * Uploaded files: typed from their bytes, stored in the database or under FILES_DIR, owner-scoped. A file goes
 * with the session it was first attached to, and with its owner's account.
 */
@Injectable()
export class FilesService {
  private readonly logger = new Logger(FilesService.name);
  private readonly directory: FileDirectoryStore | null;

  constructor(
    private readonly files: FilesRepository,
    @Inject(filesConfig.KEY) private readonly config: ConfigType<typeof filesConfig>,
  ) {
    this.directory = config.storage === 'directory' ? new FileDirectoryStore(config.dir) : null;
  }

  async upload(userId: string, upload: UploadedBytes | undefined): Promise<StoredFile> {
    if (!upload || upload.buffer.length === 0) throw new AppError('FILE_REQUIRED', 'Send one non-empty file in the multipart field "file"');
    const mediaType = await sniffAllowedType(upload.buffer);
    if (!mediaType) throw new AppError('FILE_TYPE_NOT_ALLOWED', 'Only PNG, JPEG, WebP, GIF and PDF files are accepted (the type is read from the content)');
    const id = randomUUID();
    const fields = {
      id,
      userId,
      mediaType,
      size: upload.buffer.length,
      sha256: createHash('sha256').update(upload.buffer).digest('hex'),
      filename: sanitiseFilename(upload.originalname),
    };
    // Bytes first: a row never points at bytes that are not there; bytes without a row are removed at once.
    if (this.directory) await this.directory.write(userId, id, upload.buffer);
    let stored: StoredFile | null;
    try {
      stored = await this.files.createOwned({ ...fields, bytes: this.directory ? null : upload.buffer }, this.config.maxPerUser);
    } catch (error) {
      await this.directory?.remove(userId, [id]);
      throw error;
    }
    if (!stored) {
      await this.directory?.remove(userId, [id]);
      throw new AppError('FILE_LIMIT_REACHED', `You already have ${this.config.maxPerUser} files: delete some first`);
    }
    return stored;
  }

  async list(userId: string, limit: number, cursor?: string): Promise<FilePage> {
    const rows = await this.files.listOwned(userId, limit, cursor ? decodeCursor(cursor) : undefined);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { files: page, nextCursor: rows.length > limit && last ? encodeCursor({ at: last.createdAt, id: last.id }) : null };
  }

  async get(userId: string, fileId: string): Promise<StoredFile> {
    const file = await this.files.findOwned(userId, fileId);
    if (!file) throw new AppError('FILE_NOT_FOUND', 'File not found');
    return file;
  }

  async download(userId: string, fileId: string): Promise<FileWithBytes> {
    const file = await this.get(userId, fileId);
    const bytes = (await this.readBytes(userId, [fileId])).get(fileId);
    if (!bytes) throw new AppError('FILE_NOT_FOUND', 'File not found');
    return { file, bytes };
  }

  async remove(userId: string, fileId: string): Promise<void> {
    if (!(await this.files.deleteOwned(userId, fileId))) throw new AppError('FILE_NOT_FOUND', 'File not found');
    await this.directory?.remove(userId, [fileId]);
  }

  /** The user's files among `fileIds`; FILE_NOT_FOUND unless every one is theirs. */
  async ownedAll(userId: string, fileIds: readonly string[]): Promise<StoredFile[]> {
    const found = await this.files.findOwnedMany(userId, fileIds);
    const byId = new Map(found.map((file) => [file.id, file]));
    return fileIds.map((fileId) => {
      const file = byId.get(fileId);
      if (!file) throw new AppError('FILE_NOT_FOUND', `File ${fileId} not found`);
      return file;
    });
  }

  /** Sizes of the user's files among `fileIds` (deleted ones left out). */
  async sizes(userId: string, fileIds: readonly string[]): Promise<Map<string, number>> {
    return new Map((await this.files.findOwnedMany(userId, fileIds)).map((file) => [file.id, file.size]));
  }

  /** Bytes of the user's files among `fileIds`, wherever they are kept (deleted ones left out). */
  async readBytes(userId: string, fileIds: readonly string[]): Promise<Map<string, Buffer>> {
    if (!this.directory) return this.files.readBytesOwned(userId, fileIds);
    const owned = await this.files.findOwnedMany(userId, fileIds);
    const read = new Map<string, Buffer>();
    for (const file of owned) {
      const bytes = await this.directory.read(userId, file.id);
      if (bytes) read.set(file.id, bytes);
    }
    return read;
  }

  /**
   * Runs `deleteSession`, which takes the session's files rows with it (the foreign key cascades), then removes
   * their bytes kept outside the database.
   */
  async withSessionDeletion<T>(userId: string, sessionId: string, deleteSession: () => Promise<T>): Promise<T> {
    const fileIds = this.directory ? await this.files.idsOfSession(userId, sessionId) : [];
    const result = await deleteSession();
    await this.directory?.remove(userId, fileIds);
    return result;
  }

  /** After the account is deleted (its rows went with it): its bytes kept outside the database. */
  async afterAccountDeletion(userId: string): Promise<void> {
    await this.directory?.removeUser(userId);
  }

  /**
   * Deletes, `batchSize` at a time, the uploads never attached to a session and older than FILES_UNATTACHED_TTL
   * before `now`, with their bytes; the count. Every user's: the retention job's rule, run on its `manager`.
   */
  async deleteUnattached(manager: EntityManager, now: Date, batchSize: number): Promise<number> {
    const before = new Date(now.getTime() - this.config.unattachedTtlMs);
    let total = 0;
    for (;;) {
      const batch = await this.files.deleteUnattachedBefore(manager, before, batchSize);
      await this.removeExternalBytes(batch.externalFiles);
      total += batch.count;
      if (batch.count < batchSize) return total;
    }
  }

  /**
   * After their rows are gone: the bytes of those files kept outside the database. A failure is logged and the
   * rest still removed: the rows, which were the files, are gone either way.
   */
  async removeExternalBytes(files: readonly ExternalFileRef[]): Promise<void> {
    if (!this.directory) return;
    for (const file of files) {
      await this.directory.remove(file.userId, [file.id]).catch((error: unknown) => {
        this.logger.warn(`Could not remove the bytes of file ${file.id}: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
  }
}
