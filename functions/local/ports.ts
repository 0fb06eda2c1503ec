import { createServer } from 'node:net';

/**
 * Port 0 means any free port. The handlers' settings need every service's URL before the first
 * handler runs (the workflow resumes waiting executions as soon as it starts), so free ports are
 * chosen up front.
 */
export async function resolvePort(port: number): Promise<number> {
  if (port !== 0) return port;
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
