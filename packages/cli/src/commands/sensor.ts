/** `wmidetect sensor`: see docs/. */
import { UsageError } from '../args.js';

export const SENSOR_USAGE = 'usage: wmidetect sensor …';

export async function sensorCommand(_argv: readonly string[]): Promise<number> {
  throw new UsageError('sensor is not built yet');
}
