import { SingleBar } from 'cli-progress';

/**
 * A progress bar on stderr (cli-progress). It draws only when stderr is a
 * terminal: piped or redirected, the command prints its summary lines alone.
 */
export function progressBar(format: string): SingleBar {
  return new SingleBar({
    format,
    stream: process.stderr,
    barsize: 30,
    // The cursor stays visible: a Ctrl-C mid-bar leaves the terminal as it was.
    hideCursor: false,
    clearOnComplete: false,
    barCompleteChar: '█',
    barIncompleteChar: '░',
    noTTYOutput: false,
  });
}

/** Whether a bar will show: status lines that repeat it are left out then. */
export const drawsBars = (): boolean => process.stderr.isTTY === true;
