import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A web page's own origin (another port than the API's): what a portal on its own host looks like to a browser. */
export interface PageServer {
  /** http://127.0.0.1:PORT, the origin to allow with CORS_ORIGINS */
  origin: string;
  close(): Promise<void>;
}

/** Serves the given files (path → body, content type from the extension); anything else is a 404. */
export async function startPageServer(files: Record<string, string>): Promise<PageServer> {
  const types: Record<string, string> = { html: 'text/html', js: 'text/javascript', css: 'text/css' };
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://page').pathname;
    const body = files[path];
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'Content-Type': `${types[path.split('.').pop() ?? ''] ?? 'text/html'}; charset=utf-8` }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}
