import { parseArgs } from 'node:util';

/**
 * `npm run user:admin -- --email someone@example.com`: makes an existing account an admin, for the first admin of a
 * deployment (or one that has locked itself out). Uses the server's own database settings (DATABASE_URL, else the
 * embedded PGlite, which only one process can open: stop the server first). Exits 1 when there is no such account.
 */
const USAGE = 'Usage: npm run user:admin -- --email <address of an existing account>';

function emailArgument(): string | null {
  try {
    return parseArgs({ options: { email: { type: 'string' } }, strict: true, allowPositionals: false }).values.email?.trim() || null;
  } catch {
    return null;
  }
}

const email = emailArgument();
if (email) {
  // Loaded once the arguments are read: a usage error answers at once, without opening database drivers.
  const { promote } = await import('./promote-admin.js');
  process.exitCode = await promote(email);
} else {
  console.error(USAGE);
  process.exitCode = 2;
}
