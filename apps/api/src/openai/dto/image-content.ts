import type { ChatAttachment } from '@app/ai';
import { AppError } from '@app/common';
import { MAX_ATTACHMENTS } from '../../chat/dto/stream-chat.dto.js';
import { sniffAllowedType } from '../../files/file-types.js';
import type { TextContent } from './text-content.js';

const DATA_URL = /^data:([\w.+-]+\/[\w.+-]+)?(?:;[\w-]+=[\w.-]+)*;base64,([A-Za-z0-9+/]*={0,2})$/;

/**
 * The images of an OpenAI content array (`image_url` parts) as attachments. Only data URLs are taken: a remote
 * URL is refused, never fetched (the gateway must not be made to reach arbitrary hosts). The type is read from
 * the bytes, the declared one ignored; each image is held to FILES_MAX_BYTES.
 */
export async function imageAttachments(content: TextContent, maxBytes: number): Promise<ChatAttachment[]> {
  if (typeof content === 'string') return [];
  const urls = content.filter((part) => part.type === 'image_url').map((part) => imageUrl(part as { image_url?: unknown }));
  if (urls.length > MAX_ATTACHMENTS) throw new AppError('INVALID_ATTACHMENT', `At most ${MAX_ATTACHMENTS} images per message`);
  const attachments: ChatAttachment[] = [];
  for (const url of urls) {
    if (/^https?:/i.test(url)) throw new AppError('INVALID_ATTACHMENT', 'image_url must be a base64 data URL: remote images are not fetched');
    const match = DATA_URL.exec(url);
    if (!match || match[2]!.length % 4 !== 0) throw new AppError('INVALID_ATTACHMENT', 'image_url must be a data URL of base64 content (data:image/png;base64,...)');
    // Checked on the encoded length first, so an oversized image is refused before it is decoded.
    if ((match[2]!.length / 4) * 3 > maxBytes + 2) throw new AppError('ATTACHMENTS_TOO_LARGE', `An image is larger than ${maxBytes} bytes`);
    const bytes = Buffer.from(match[2]!, 'base64');
    const mediaType = await sniffAllowedType(bytes);
    if (!mediaType || mediaType === 'application/pdf') throw new AppError('FILE_TYPE_NOT_ALLOWED', 'image_url must hold a PNG, JPEG, WebP or GIF image');
    attachments.push({ mediaType, data: match[2]! });
  }
  return attachments;
}

function imageUrl(part: { image_url?: unknown }): string {
  const value = part.image_url;
  const url = typeof value === 'string' ? value : typeof value === 'object' && value !== null ? (value as { url?: unknown }).url : undefined;
  if (typeof url !== 'string') throw new AppError('INVALID_ATTACHMENT', 'image_url parts need image_url.url');
  return url;
}
