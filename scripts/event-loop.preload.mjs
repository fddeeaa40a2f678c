// Loaded into the server under test (node --import). It samples the event-loop delay and, on
// SIGWINCH (a signal Nest's shutdown hooks leave alone), prints the largest stall and the CPU time
// used since the last report, then starts over. On a loaded machine a stall can be the scheduler's;
// CPU time tells real work from waiting.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
let cpu = process.cpuUsage();
process.on('SIGWINCH', () => {
  const used = process.cpuUsage(cpu);
  process.stdout.write(
    `EVENT_LOOP_MAX_MS ${(histogram.max / 1e6).toFixed(1)} CPU_MS ${((used.user + used.system) / 1e3).toFixed(1)}\n`,
  );
  histogram.reset();
  cpu = process.cpuUsage();
});
