import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { FolderEntity } from '../entities/folder.entity.js';

const FOLDER_COLUMNS = `id, user_id AS "userId", name, created_at AS "createdAt", updated_at AS "updatedAt"`;

@Injectable()
export class FoldersRepository {
  constructor(@InjectRepository(FolderEntity) private readonly folders: Repository<FolderEntity>) {}

  /** Oldest first; the caller bounds how many a user may have, so this is the whole list. */
  listOwned(userId: string): Promise<FolderEntity[]> {
    return this.folders.find({ where: { userId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Null when the user already has `max` folders: counted in the same statement. */
  async createOwned(userId: string, name: string, max: number): Promise<FolderEntity | null> {
    const rows: FolderEntity[] = await this.folders.manager.query(
      `INSERT INTO folders (user_id, name) SELECT $1, $2 WHERE (SELECT count(*) FROM folders WHERE user_id = $1) < $3 RETURNING ${FOLDER_COLUMNS}`,
      [userId, name, max],
    );
    return rows[0] ?? null;
  }

  async renameOwned(userId: string, folderId: string, name: string): Promise<FolderEntity | null> {
    const [rows] = (await this.folders.manager.query(
      `UPDATE folders SET name = $3, updated_at = now() WHERE id = $1 AND user_id = $2 RETURNING ${FOLDER_COLUMNS}`,
      [folderId, userId, name],
    )) as [FolderEntity[], number];
    return rows[0] ?? null;
  }

  /** Its sessions stay, outside any folder (the foreign key sets their folder to null). */
  async deleteOwned(userId: string, folderId: string): Promise<boolean> {
    const result = await this.folders.delete({ id: folderId, userId });
    return (result.affected ?? 0) > 0;
  }
}
