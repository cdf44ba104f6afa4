import { registerAs } from '@nestjs/config';
import { ConfigError, EnvReader, type Env } from './env-reader.js';

export const FILE_STORAGES = ['database', 'directory'] as const;
export type FileStorageKind = (typeof FILE_STORAGES)[number];

export function parseFilesConfig(env: Env) {
  const read = new EnvReader(env);
  const unattachedTtlSeconds = read.durationSeconds('FILES_UNATTACHED_TTL', '24h');
  // Shorter would race a client that uploads, then sends its message; longer keeps abandoned uploads for a year.
  if (unattachedTtlSeconds < 60 || unattachedTtlSeconds > 365 * 86_400) throw new ConfigError('FILES_UNATTACHED_TTL', 'must be between 1m and 365d');
  return {
    /** Largest upload `POST /api/files` takes (413 beyond); held in memory while its type is checked, hence the cap. */
    maxBytes: read.bytes('FILES_MAX_BYTES', '10mb', { min: 1024, max: 100 * 1024 ** 2 }),
    /** Where the bytes go: a column of the files table (works on PGlite, travels with backups) or one file each under FILES_DIR. */
    storage: read.oneOf('FILES_STORAGE', FILE_STORAGES, 'database'),
    /** With FILES_STORAGE=directory: the root, one directory per user inside it. */
    dir: read.string('FILES_DIR', './data/files'),
    /** Files one user may keep; uploads beyond are refused (FILE_LIMIT_REACHED) until some are deleted. */
    maxPerUser: read.int('FILES_MAX_PER_USER', 1000, { min: 1, max: 1_000_000 }),
    /**
     * Bytes of files sent with one chat request: the new message's must fit (413 otherwise); earlier turns' fill
     * what is left, newest first. Sent base64-encoded, so the upstream request is a third larger.
     */
    contextMaxBytes: read.bytes('FILES_CONTEXT_MAX_BYTES', '20mb', { min: 1024, max: 1024 ** 3 }),
    /** Uploads never attached to a session are deleted by the retention job once older than this. */
    unattachedTtlMs: unattachedTtlSeconds * 1000,
  };
}

export const filesConfig = registerAs('files', () => parseFilesConfig(process.env));
export type FilesConfig = ReturnType<typeof parseFilesConfig>;
