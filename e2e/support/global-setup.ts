import { startServer, type RunningServer } from './server';
import { BASE_URL_VAR } from './base-url';

/** One webhooker for the whole run; the test files share it and its base URL. */
export default async function globalSetup(): Promise<void> {
  const server = await startServer();
  (globalThis as { webhooker?: RunningServer }).webhooker = server;
  process.env[BASE_URL_VAR] = server.baseUrl;
}
