import type { Server, Socket } from 'node:net';
import { normaliseAddress, ProxyTrust } from './proxy-trust';

/**
 * Caps the connections one address holds open at once (HTTP_MAX_CONNECTIONS_PER_ADDRESS), so one
 * client cannot take every connection HTTP_MAX_CONNECTIONS allows from all other senders and
 * users: a connection over its address's cap is closed at once, as one over HTTP_MAX_CONNECTIONS
 * is. A trusted proxy's connections (TRUST_PROXY) are not capped: behind a proxy every client
 * comes from its address. `refused` is told of each connection closed.
 */
export function capConnectionsPerAddress(
  server: Server,
  cap: number,
  trust: ProxyTrust,
  refused: (address: string) => void,
): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress === undefined ? null : normaliseAddress(socket.remoteAddress);
    if (address === null || trust(address, 0)) return;
    const count = open.get(address) ?? 0;
    if (count >= cap) {
      socket.destroy();
      refused(address);
      return;
    }
    open.set(address, count + 1);
    socket.once('close', () => {
      const remaining = open.get(address)! - 1;
      if (remaining === 0) open.delete(address);
      else open.set(address, remaining);
    });
  });
}
