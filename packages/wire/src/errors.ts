/** A message that does not follow its schema. `field` names the first offending field, for 400 bodies and DLQ headers. */
export class WireFormatError extends Error {
  constructor(
    readonly schema: string,
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${schema}: ${field}: ${problem}`);
    this.name = 'WireFormatError';
  }
}
