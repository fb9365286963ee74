/**
 * Progress on stderr for long offline runs, only when stderr is a terminal (so logs and pipes stay clean):
 * one line rewritten in place at most every 500 ms — file, percent, MB read, frames, alerts, throughput.
 */
import type { CaptureProgress } from '@wmi-detect/engine';

export class ProgressLine {
  private lastMs = 0;
  private shown = false;
  private readonly startMs = Date.now();

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly enabled: boolean,
  ) {}

  update(p: CaptureProgress, alerts: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.lastMs < 500) return;
    this.lastMs = now;
    const secs = Math.max((now - this.startMs) / 1000, 0.001);
    const pct = p.totalBytes ? ` ${((100 * p.bytesRead) / p.totalBytes).toFixed(1)}%` : '';
    const mb = (p.bytesRead / 1e6).toFixed(1);
    const mbit = ((p.captureBytes * 8) / 1e6 / secs).toFixed(0);
    this.out.write(`\r\x1b[K${p.file}${pct} ${mb} MB, ${p.frames} frames, ${alerts} alerts, ${mbit} Mbit/s`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
