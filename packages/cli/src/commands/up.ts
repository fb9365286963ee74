/** `wmidetect up`: see docs/. */
import { UsageError } from '../args.js';

export const UP_USAGE = 'usage: wmidetect up …';

export async function upCommand(_argv: readonly string[]): Promise<number> {
  throw new UsageError('up is not built yet');
}
