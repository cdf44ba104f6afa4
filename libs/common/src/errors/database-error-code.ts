/**
 * The code of a database failure: the SQLSTATE TypeORM keeps on `driverError`, else the error's own code (a
 * driver's, or a socket's like ECONNREFUSED); undefined when it has none.
 */
export function databaseErrorCode(error: unknown): string | undefined {
  const failure = error as { code?: unknown; driverError?: { code?: unknown } } | undefined;
  const code = failure?.driverError?.code ?? failure?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The database refused what a statement writes (SQLSTATE class 22, data exception, or 23, constraint): writing the
 * same again cannot help, unlike after an outage.
 */
export function refusedByDatabase(error: unknown): boolean {
  return /^2[23]/.test(databaseErrorCode(error) ?? '');
}
