/**
 * The `wmidetect` command. Each subcommand lives in commands/ and is a thin shell around a library: the engine
 * (analyze, rules check), the capture generator (generate, demo), the services (serve, sensor, topics, up).
 * Exit codes: 0 ok, 1 unexpected failure, 2 usage/configuration/rule errors, 3 incomplete capture input.
 */
import { UsageError } from './args.js';
import { ANALYZE_USAGE, analyze } from './commands/analyze.js';
import { demo } from './commands/demo.js';
import { GENERATE_USAGE, generateCommand } from './commands/generate.js';
import { RULES_CHECK_USAGE, rulesCheck } from './commands/rules-check.js';
import { SENSOR_USAGE, sensorCommand } from './commands/sensor.js';
import { SERVE_USAGE, serve } from './commands/serve.js';
import { TOPICS_USAGE, topicsCommand } from './commands/topics.js';
import { UP_USAGE, upCommand } from './commands/up.js';

export { parseArgs, UsageError } from './args.js';
export { analyze } from './commands/analyze.js';

export interface Command {
  summary: string;
  usage: string;
  run(argv: readonly string[]): Promise<number> | number;
}

/** Subcommands; other packages' commands are registered here too (see services). */
export const COMMANDS: Record<string, Command> = {
  analyze: { summary: 'analyse capture files offline, EVE JSON lines on stdout', usage: ANALYZE_USAGE, run: analyze },
  rules: {
    summary: 'rules check FILE...: load rule files and print every diagnostic',
    usage: RULES_CHECK_USAGE,
    run: (argv) => {
      if (argv[0] !== 'check') throw new UsageError(`unknown rules subcommand '${argv[0] ?? ''}'; expected 'check'`);
      return rulesCheck(argv.slice(1));
    },
  },
  generate: { summary: 'write generated DCE/RPC/WMI captures', usage: GENERATE_USAGE, run: generateCommand },
  demo: {
    summary: 'generate the scenario captures and analyse them (no external services)',
    usage: 'usage: wmidetect demo [--out DIR] [analyze options]',
    run: demo,
  },
  serve: {
    summary: 'run a service: ingest, detect or enrich (environment-configured)',
    usage: SERVE_USAGE,
    run: serve,
  },
  sensor: { summary: 'send packets (file, stdin, interface) to ingest', usage: SENSOR_USAGE, run: sensorCommand },
  topics: { summary: 'topics create: create the Kafka topics', usage: TOPICS_USAGE, run: topicsCommand },
  up: {
    summary: 'local stack: broker, topics, ingest, two detectors, enrich (--replay CAPTURE --exit)',
    usage: UP_USAGE,
    run: upCommand,
  },
};

function help(): string {
  const lines = ['usage: wmidetect <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', "'wmidetect <command> --help' shows a command's options.");
  return `${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(help());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    process.stderr.write(`wmidetect: unknown command '${name}'\n${help()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${cmd.usage}\n`);
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`wmidetect ${name}: ${e.message}\n${cmd.usage}\n`);
      return 2;
    }
    throw e;
  }
}
