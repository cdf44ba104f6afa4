/**
 * Preloaded (`node --import`) into every process the bench measures: SIGUSR2 starts V8's CPU profiler in the
 * process, a second SIGUSR2 stops it and writes the profile to `BENCH_PROFILE_FILE` (then `<file>.done`). The bench
 * profiles a warm server over exactly the requests it sends, instead of a whole run from start-up as `--cpu-prof`
 * would (which also writes only on a clean exit; Nest's shutdown hooks end the floor by re-raising the signal).
 * `<file>.started` tells the bench the profiler runs. Until the first signal nothing is loaded or connected.
 */
import { writeFileSync } from 'node:fs';

const SAMPLING_INTERVAL_US = 250;
/** The running profile's session, once asked for; a stop waits for its start. */
let starting;

async function start() {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  await session.post('Profiler.start');
  writeFileSync(`${process.env.BENCH_PROFILE_FILE}.started`, '');
  return session;
}

async function stop(session) {
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  const file = process.env.BENCH_PROFILE_FILE;
  writeFileSync(file, JSON.stringify(profile));
  writeFileSync(`${file}.done`, '');
}

process.on('SIGUSR2', () => {
  if (!starting) {
    // A profiler that cannot start leaves the process serving: the bench reports the missing profile.
    starting = start().catch((error) => {
      console.error('The CPU profiler did not start:', error);
      return undefined;
    });
    return;
  }
  const session = starting;
  starting = undefined;
  void session.then((running) => running && stop(running)).catch((error) => console.error('The CPU profile was not written:', error));
});
