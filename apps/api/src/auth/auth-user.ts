import type { UserRole } from '@app/persistence';

/** Who is calling, as established by the auth guard; the only identity services ever receive. */
export interface AuthUser {
  id: string;
  role: UserRole;
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the auth guard on every route that is not public. */
    user?: AuthUser;
  }
}
