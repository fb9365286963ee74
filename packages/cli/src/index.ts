export async function main(argv: string[]): Promise<number> {
  process.stderr.write(`wmidetect: not yet implemented (${argv.join(' ')})\n`);
  return 2;
}
