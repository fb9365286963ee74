/**
 * Where the sensor's frames come from:
 *
 *   FILE            a pcap/pcapng file (gzip-compressed allowed), read with the engine's capture reader
 *   -               standard input: `tcpdump -i eth0 -U -w - | wmidetect sensor -`
 *   --interface IF  a live interface through tcpdump (`tcpdump -i IF -U -s 0 -w - [FILTER]`)
 *   --filter EXPR   a BPF filter: passed to tcpdump (live), or applied to a FILE through `tcpdump -r FILE -w - EXPR`
 *
 * Why tcpdump and not a libpcap binding: a native addon would need a compiler and libpcap headers on every sensor
 * and a rebuild per Node ABI; tcpdump is packaged everywhere, already trusted with capture privileges (setcap or
 * root, the sensor itself need not be), and its pcap stream on a pipe is exactly the format we parse. `-U` makes it
 * flush every packet so batching by time works; its kernel-drop counters appear on its stderr at exit.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type CaptureReader, openCapture, readCaptureStream } from '@wmi-detect/engine';

export interface FrameSource {
  readonly reader: CaptureReader;
  /** Live sources cannot wait (the kernel would drop packets uncounted). */
  readonly live: boolean;
  /** tcpdump, when one was started. */
  readonly child: ChildProcess | null;
  readonly description: string;
  /** Why tcpdump failed (could not start, or exited with an error), once known; null otherwise. */
  failure(): string | null;
  /** Resolves once tcpdump is gone (at once when there is none). */
  ended(): Promise<void>;
}

export interface SourceSpec {
  readonly input?: string;
  readonly iface?: string;
  readonly filter?: string;
  readonly tcpdump?: string;
}

export function openSource(spec: SourceSpec): FrameSource {
  const tcpdump = spec.tcpdump ?? 'tcpdump';
  if (spec.iface !== undefined) {
    const args = ['-i', spec.iface, '-U', '-s', '0', '-w', '-', ...(spec.filter ? [spec.filter] : [])];
    return fromChild(tcpdump, args, true, `interface ${spec.iface}`);
  }
  if (spec.input === undefined) throw new Error('no input');
  const none = () => null;
  const ended = () => Promise.resolve();
  if (spec.input === '-')
    return { reader: openCapture('-'), live: true, child: null, description: 'standard input', failure: none, ended };
  if (spec.filter !== undefined)
    return fromChild(tcpdump, ['-r', spec.input, '-w', '-', spec.filter], false, `${spec.input} (filtered)`);
  return { reader: openCapture(spec.input), live: false, child: null, description: spec.input, failure: none, ended };
}

function fromChild(cmd: string, args: string[], live: boolean, description: string): FrameSource {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let failed: string | null = null;
  let gone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    gone = resolve;
  });
  child.on('error', (e) => {
    failed = `cannot run ${cmd}: ${e.message}`;
    gone();
  });
  child.on('exit', (code, signal) => {
    gone();
    if (code !== 0 && code !== null) failed ??= `${cmd} exited with status ${code}`;
    else if (signal !== null && signal !== 'SIGTERM') failed ??= `${cmd} killed by ${signal}`;
  });
  return {
    failure: () => failed,
    ended: () => done,
    reader: readCaptureStream(`${cmd} ${args.join(' ')}`, child.stdout as AsyncIterable<Uint8Array>),
    live,
    child,
    description,
  };
}
