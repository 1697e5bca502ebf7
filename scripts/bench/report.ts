/** The bench's output: one Markdown table (rows, the targets, met or not) ready for the README. */

export interface Row {
  workload: string;
  paddock: string;
  naive: string;
  /** Paddock against the naive design (or against the ceiling), as the target states it. */
  ratio: string;
  target: string;
  /** undefined: no target for this row. */
  met?: boolean;
}

export const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '—');
export const perS = (v: number, unit = 'runs/s') => (Number.isFinite(v) ? `${v.toFixed(1)} ${unit}` : '—');
export const sec = (v: number) => `${(v / 1000).toFixed(1)} s`;
export const times = (v: number) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');

export function table(rows: Row[]): string {
  const cell = (r: Row) => (r.met === undefined ? '' : r.met ? 'met' : '**not met**');
  return [
    '| workload | Paddock (HTTP POST → SSE `end`) | naive (create/attach/start/wait/remove) | ratio | target | |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.workload} | ${r.paddock} | ${r.naive} | ${r.ratio} | ${r.target} | ${cell(r)} |`),
  ].join('\n');
}
