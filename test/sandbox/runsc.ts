/** Whether dockerd has gVisor registered (scripts/setup-runtimes.sh), for the suites that run under it. */
import { execFileSync } from 'node:child_process';

export function runscRegistered(): boolean {
  try {
    const runtimes = JSON.parse(execFileSync('docker', ['info', '--format', '{{json .Runtimes}}'], { encoding: 'utf8' })) as Record<string, unknown>;
    return 'runsc' in runtimes;
  } catch {
    return false;
  }
}

/** Says loudly, once per file, that a runsc suite did not run. */
export function warnRunscMissing(file: string): void {
  process.stderr.write(
    `\n*** ${file}: SKIPPED — runsc is not registered with dockerd (docker info: Runtimes). ` +
      'scripts/setup-runtimes.sh (part of scripts/setup.sh) registers it; the hostile fixtures were NOT checked under gVisor. ***\n\n',
  );
}
