// Runs a command to completion (mvn, the storage tool) and resolves to the last 8000 characters it printed.
import { spawn } from 'node:child_process';

export function runCommand(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const keep = (b) => { out = (out + b.toString()).slice(-8000); };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (err) =>
      reject(new Error(`cannot run ${cmd} (${err.message}); run .ci/kafka-prereqs.sh to install Java 17 and Maven`, { cause: err })));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${out}`));
    });
  });
}
