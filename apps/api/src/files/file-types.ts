import { fileTypeFromBuffer } from 'file-type';

/** What an upload may be: images every vision model reads, and PDF. Read from the bytes; the declared type is ignored. */
export const ALLOWED_FILE_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif', 'application/pdf'] as const;
export type AllowedFileType = (typeof ALLOWED_FILE_TYPES)[number];

/** The file's type from its magic bytes, when it is one of the allowed; undefined otherwise. */
export async function sniffAllowedType(bytes: Uint8Array): Promise<AllowedFileType | undefined> {
  const detected = (await fileTypeFromBuffer(bytes))?.mime;
  return (ALLOWED_FILE_TYPES as readonly string[]).includes(detected ?? '') ? (detected as AllowedFileType) : undefined;
}

export const MAX_FILENAME_LENGTH = 255;

/**
 * A name safe to store and to send back in Content-Disposition: the last path segment, without control and
 * format characters or quotes, NFC, at most 255 characters; `file` when nothing is left. It is only ever a label:
 * stored bytes are named by their id.
 */
export function sanitiseFilename(raw: string | undefined): string {
  const base = (raw ?? '').normalize('NFC').split(/[/\\]/).at(-1) ?? '';
  const clean = base
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}"]/gu, '')
    .trim()
    .replace(/^\.+/, '');
  return [...clean].slice(0, MAX_FILENAME_LENGTH).join('').trim() || 'file';
}
