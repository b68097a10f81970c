import type { RunningServer } from './server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { webhooker?: RunningServer }).webhooker?.stop();
}
