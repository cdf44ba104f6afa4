import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { EntityManager, Repository } from 'typeorm';
import { FileEntity } from '../entities/file.entity.js';
import type { KeysetPosition } from './keyset-position.js';

/** A file's row without its bytes. */
export type StoredFile = Omit<FileEntity, 'bytes' | 'user' | 'session'>;

export interface NewFile {
  id: string;
  userId: string;
  mediaType: string;
  size: number;
  sha256: string;
  filename: string;
  /** Null when the bytes are kept outside the database. */
  bytes: Buffer | null;
}

/** A file whose bytes are kept outside the database (FILES_DIR), which its row's deletion leaves behind. */
export interface ExternalFileRef {
  id: string;
  userId: string;
}

const FILE_COLUMNS = `id, user_id AS "userId", session_id AS "sessionId", media_type AS "mediaType", size, sha256, filename, created_at AS "createdAt"`;

@Injectable()
export class FilesRepository {
  constructor(@InjectRepository(FileEntity) private readonly files: Repository<FileEntity>) {}

  /** Null when the user already has `max` files: counted in the same statement. */
  async createOwned(file: NewFile, max: number): Promise<StoredFile | null> {
    const rows: StoredFile[] = await this.files.manager.query(
      `INSERT INTO files (id, user_id, media_type, size, sha256, filename, bytes)
       SELECT $1, $2, $3, $4, $5, $6, $7 WHERE (SELECT count(*) FROM files WHERE user_id = $2) < $8
       RETURNING ${FILE_COLUMNS}`,
      [file.id, file.userId, file.mediaType, file.size, file.sha256, file.filename, file.bytes, max],
    );
    return rows[0] ?? null;
  }

  async findOwned(userId: string, fileId: string): Promise<StoredFile | null> {
    const rows: StoredFile[] = await this.files.manager.query(`SELECT ${FILE_COLUMNS} FROM files WHERE id = $1 AND user_id = $2`, [fileId, userId]);
    return rows[0] ?? null;
  }

  /** Those of `fileIds` the user owns, in no particular order. */
  findOwnedMany(userId: string, fileIds: readonly string[]): Promise<StoredFile[]> {
    if (fileIds.length === 0) return Promise.resolve([]);
    return this.files.manager.query(`SELECT ${FILE_COLUMNS} FROM files WHERE id = ANY($1::uuid[]) AND user_id = $2`, [fileIds, userId]);
  }

  /** The bytes kept in the database of those of `fileIds` the user owns (absent ones, and those kept elsewhere, left out). */
  async readBytesOwned(userId: string, fileIds: readonly string[]): Promise<Map<string, Buffer>> {
    if (fileIds.length === 0) return new Map();
    const rows: { id: string; bytes: Buffer }[] = await this.files.manager.query(
      `SELECT id, bytes FROM files WHERE id = ANY($1::uuid[]) AND user_id = $2 AND bytes IS NOT NULL`,
      [fileIds, userId],
    );
    return new Map(rows.map((row) => [row.id, Buffer.from(row.bytes)]));
  }

  /** Newest first; fetches one extra row so the caller knows whether a next page exists. */
  listOwned(userId: string, limit: number, before?: KeysetPosition): Promise<StoredFile[]> {
    const params: unknown[] = [userId];
    const created = `date_trunc('milliseconds', created_at)`;
    const keyset = before ? ` AND (${created}, id) < ($${params.push(before.at)}::timestamptz, $${params.push(before.id)}::uuid)` : '';
    return this.files.manager.query(
      `SELECT ${FILE_COLUMNS} FROM files WHERE user_id = $1${keyset} ORDER BY ${created} DESC, id DESC LIMIT $${params.push(limit + 1)}`,
      params,
    );
  }

  async deleteOwned(userId: string, fileId: string): Promise<boolean> {
    const result = await this.files.delete({ id: fileId, userId });
    return (result.affected ?? 0) > 0;
  }

  /** The files a session owns, which go with it. */
  async idsOfSession(userId: string, sessionId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.files.manager.query(`SELECT id FROM files WHERE session_id = $1 AND user_id = $2`, [sessionId, userId]);
    return rows.map((row) => row.id);
  }

  /**
   * Deletes up to `batchSize` files uploaded before `before` and never attached to a session, every user's (the
   * retention job's rule); those whose bytes are kept outside the database come back for the caller to remove.
   * A file being attached meanwhile is locked, hence skipped, and one attached since the select is kept. Runs on
   * `manager`, the retention job's connection.
   */
  async deleteUnattachedBefore(manager: EntityManager, before: Date, batchSize: number): Promise<{ count: number; externalFiles: ExternalFileRef[] }> {
    const rows: { id: string; userId: string; external: boolean }[] = await manager.query(
      `WITH deleted AS (
         DELETE FROM files WHERE session_id IS NULL AND id IN
           (SELECT id FROM files WHERE session_id IS NULL AND created_at < $1 ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id, user_id, bytes IS NULL AS external)
       SELECT id, user_id AS "userId", external FROM deleted`,
      [before, batchSize],
    );
    return { count: rows.length, externalFiles: rows.filter((row) => row.external).map(({ id, userId }) => ({ id, userId })) };
  }
}
