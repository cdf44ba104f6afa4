import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids become path segments: anything but a UUID would be a path traversal waiting to happen. */
function segment(id: string): string {
  if (!UUID.test(id)) throw new Error(`Not a UUID: ${id.slice(0, 40)}`);
  return id.toLowerCase();
}

/**
 * Bytes of uploaded files under FILES_DIR: one directory per user, each file named by its id alone (never a name
 * a user gave). Writes go to a temporary name and are renamed into place, so a reader never sees half a file.
 */
export class FileDirectoryStore {
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  async write(userId: string, fileId: string, bytes: Uint8Array): Promise<void> {
    const dir = join(this.root, segment(userId));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const temporary = join(dir, `.${segment(fileId)}.${randomUUID()}.tmp`);
    try {
      await writeFile(temporary, bytes, { mode: 0o600, flag: 'wx' });
      await rename(temporary, join(dir, segment(fileId)));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /** Null when the file is not there (deleted meanwhile). */
  async read(userId: string, fileId: string): Promise<Buffer | null> {
    try {
      return await readFile(join(this.root, segment(userId), segment(fileId)));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
  }

  async remove(userId: string, fileIds: readonly string[]): Promise<void> {
    for (const fileId of fileIds) {
      await unlink(join(this.root, segment(userId), segment(fileId))).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
    }
  }

  async removeUser(userId: string): Promise<void> {
    await rm(join(this.root, segment(userId)), { recursive: true, force: true });
  }
}
