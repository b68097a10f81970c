import { AddressInfo, connect, createServer, Server, Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a PostgreSQL server. freeze() stops every connection open
 * now from carrying data either way while leaving it open: a silently dead connection, as after a
 * network partition. Connections opened later pass normally.
 */
export class TcpProxy {
  private readonly pairs: [Socket, Socket][] = [];
  private readonly frozen: [Socket, Socket][] = [];

  private constructor(
    private readonly server: Server,
    private readonly databaseUrl: string,
  ) {}

  /** A proxy to the host and port of a postgres:// URL. */
  static async start(databaseUrl: string): Promise<TcpProxy> {
    const target = new URL(databaseUrl);
    const server = createServer();
    const proxy = new TcpProxy(server, databaseUrl);
    server.on('connection', (downstream) => {
      const upstream = connect(Number(target.port || 5432), target.hostname);
      downstream.pipe(upstream).pipe(downstream);
      downstream.on('error', () => upstream.destroy());
      upstream.on('error', () => downstream.destroy());
      proxy.pairs.push([downstream, upstream]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** The database URL with the proxy as its host. */
  get url(): string {
    const url = new URL(this.databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String((this.server.address() as AddressInfo).port);
    return url.toString();
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.pairs.length;
  }

  /** Every connection open now stops carrying data (and stays open). */
  freeze(): void {
    for (const pair of this.pairs) {
      const [downstream, upstream] = pair;
      downstream.unpipe(upstream);
      upstream.unpipe(downstream);
      downstream.pause();
      upstream.pause();
      this.frozen.push(pair);
    }
  }

  /** Closes the frozen connections, as the server does once its TCP keepalive gives up on them. */
  sever(): void {
    for (const pair of this.frozen.splice(0)) for (const socket of pair) socket.destroy();
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) for (const socket of pair) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
