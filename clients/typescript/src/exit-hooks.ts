// What happens to live runs when the process ends without finish():
//   beforeExit  the loop ran dry (script ended): finish them, which can wait
//               for the server, since async work is still allowed here
//   exit        process.exit() or a crash: only synchronous work is possible,
//               so whatever is not sent is written to the spool
// NOTE: one pair of process listeners shared by every live run (a test with
// eight simulated ranks would otherwise trip MaxListenersExceededWarning);
// they are removed when the last run is done.

export interface ExitAware {
  /** Called on beforeExit; may start async work. */
  onBeforeExit(): void;
  /** Called on exit; must be synchronous. */
  onExit(code: number): void;
}

const live = new Set<ExitAware>();

function beforeExit(): void {
  for (const run of [...live]) run.onBeforeExit();
}

function exit(code: number): void {
  for (const run of [...live]) run.onExit(code);
}

export function watchExit(run: ExitAware): void {
  if (live.size === 0) {
    process.on('beforeExit', beforeExit);
    process.on('exit', exit);
  }
  live.add(run);
}

export function unwatchExit(run: ExitAware): void {
  if (!live.delete(run) || live.size > 0) return;
  process.off('beforeExit', beforeExit);
  process.off('exit', exit);
}
