import { Client } from 'pg';

/** Idle time before the OS starts TCP keepalive probes on a long-lived connection. */
const KEEPALIVE_DELAY_MS = 10_000;

/** A client for a connection held for the process's lifetime: TCP keepalive, connecting bounded. */
export function longLivedClient(
  databaseUrl: string | undefined,
  name: string,
  pingIntervalMs: number,
): Client {
  return new Client({
    connectionString: databaseUrl,
    application_name: name,
    connectionTimeoutMillis: pingIntervalMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
  });
}

/**
 * Sends `SELECT 1` every intervalMs. A ping that fails or is not answered within intervalMs (a
 * connection gone silently dead, which TCP alone may take hours to notice) calls onDead with the
 * reason and destroys the socket, so the client ends and its 'end' handler can reconnect.
 * Returns a function that stops the pings (before ending the client on purpose).
 */
export function pingConnection(
  client: Client,
  intervalMs: number,
  onDead: (reason: string) => void,
): () => void {
  let watching = true;
  const drop = (reason: string) => {
    if (!watching) return;
    stop();
    onDead(reason);
    client.connection.stream.destroy();
  };
  const timer = setInterval(() => {
    const timeout = setTimeout(() => drop(`no answer to a ping within ${intervalMs} ms`), intervalMs);
    client.query('SELECT 1').then(
      () => clearTimeout(timeout),
      (error: Error) => {
        clearTimeout(timeout);
        drop(`ping failed: ${error.message}`);
      },
    );
  }, intervalMs);
  const stop = () => {
    watching = false;
    clearInterval(timer);
  };
  client.once('end', stop);
  return stop;
}
