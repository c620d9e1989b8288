import net from 'node:net';

/**
 * Fails with a readable message when `host:port` cannot be listened on, before the service touches
 * its data dir (port 0 always works). The port is released at once; the real listen follows.
 */
export function assertCanListen(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'is already in use (another omicsd, or another program?)'
        : err.code === 'EACCES' ? 'needs privileges this user lacks (use a port above 1023)'
        : err.code === 'EADDRNOTAVAIL' ? 'is not an address of this machine' : `cannot be used: ${err.message}`;
      reject(new Error(`Cannot listen on ${host}:${port}: it ${why}. Choose another with --port or --host.`));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
