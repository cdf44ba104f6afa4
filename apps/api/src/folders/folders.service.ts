import { Injectable } from '@nestjs/common';
import { AppError } from '@app/common';
import { type FolderEntity, FoldersRepository } from '@app/persistence';

/** Folders one user may have: the list has no pages. */
export const MAX_FOLDERS_PER_USER = 200;

@Injectable()
export class FoldersService {
  constructor(private readonly folders: FoldersRepository) {}

  list(userId: string): Promise<FolderEntity[]> {
    return this.folders.listOwned(userId);
  }

  async create(userId: string, name: string): Promise<FolderEntity> {
    const folder = await this.folders.createOwned(userId, name, MAX_FOLDERS_PER_USER);
    if (!folder) throw new AppError('FOLDER_LIMIT_REACHED', `You already have ${MAX_FOLDERS_PER_USER} folders: delete one first`);
    return folder;
  }

  async rename(userId: string, folderId: string, name: string): Promise<FolderEntity> {
    const folder = await this.folders.renameOwned(userId, folderId, name);
    if (!folder) throw new AppError('FOLDER_NOT_FOUND', 'Folder not found');
    return folder;
  }

  async remove(userId: string, folderId: string): Promise<void> {
    if (!(await this.folders.deleteOwned(userId, folderId))) throw new AppError('FOLDER_NOT_FOUND', 'Folder not found');
  }
}
