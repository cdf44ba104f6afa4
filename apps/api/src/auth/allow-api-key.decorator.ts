import { SetMetadata } from '@nestjs/common';

export const ALLOW_API_KEY = 'auth:allowApiKey';

/** Lets machine clients call these routes with a personal API key instead of a user access token. */
export const AllowApiKey = () => SetMetadata(ALLOW_API_KEY, true);
