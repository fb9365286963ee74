/** `wmidetect topics`: see docs/. */
import { UsageError } from '../args.js';

export const TOPICS_USAGE = 'usage: wmidetect topics …';

export async function topicsCommand(_argv: readonly string[]): Promise<number> {
  throw new UsageError('topics is not built yet');
}
