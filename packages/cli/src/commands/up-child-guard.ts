/**
 * Preloaded (`node --import`) into every process `wmidetect up` starts. The child has an IPC channel to `up`; when
 * `up` disappears without stopping it (SIGKILL, OOM, a crash), the channel closes and this sends the child SIGTERM,
 * so its own graceful shutdown runs and nothing outlives the stack. The channel is unref'd: it must not keep a
 * finished child (the sensor) alive.
 */
if (typeof process.send === 'function') {
  process.once('disconnect', () => {
    process.kill(process.pid, 'SIGTERM');
  });
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
}

export {};
