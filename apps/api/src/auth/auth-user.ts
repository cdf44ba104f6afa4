/** Who is calling, as established by the auth guard; the only identity services ever receive. */
export interface AuthUser {
  id: string;
}
