import { SetMetadata } from '@nestjs/common';

export const ALLOW_STREAM_TOKEN = 'auth:allowStreamToken';

/** The route (with an `:id` session parameter) also accepts a stream token for that session in `?token=`. */
export const AllowStreamToken = () => SetMetadata(ALLOW_STREAM_TOKEN, true);
