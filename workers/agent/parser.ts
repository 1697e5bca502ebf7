/**
 * Incremental parser of the agent streaming protocol (docs/agent-protocol.md).
 * Feed it token deltas as they arrive; it reports each element the moment its
 * closing tag is complete, so actions can start while the model still writes.
 *
 *   <thought>…</thought>
 *   <action type="tool|llm|internal" mode="sync|async" id="…" depends_on="a,b" output_key="…">{json}</action>
 *   <response final="true|false">…</response>
 *
 * Text outside elements is ignored. Malformed elements are reported, not thrown.
 */
export type ActionType = 'tool' | 'llm' | 'internal';

export interface ParsedAction {
  id: string;
  type: ActionType;
  mode: 'sync' | 'async';
  dependsOn: string[];
  outputKey?: string;
  input: unknown;
}

export type ProtocolElement =
  | { kind: 'thought'; text: string }
  | { kind: 'action'; action: ParsedAction }
  | { kind: 'response'; final: boolean; text: string }
  | { kind: 'malformed'; reason: string; raw: string };

const OPEN = /<(thought|action|response)(\s[^>]*)?>/;
const TYPES: readonly string[] = ['tool', 'llm', 'internal'];

export class ProtocolParser {
  private buffer = '';

  constructor(private readonly onElement: (e: ProtocolElement) => void) {}

  push(delta: string): void {
    this.buffer += delta;
    for (;;) {
      const open = OPEN.exec(this.buffer);
      if (!open) {
        // Keep a possible partial opening tag; drop text before it.
        const lt = this.buffer.lastIndexOf('<');
        this.buffer = lt >= 0 ? this.buffer.slice(lt) : '';
        return;
      }
      const tag = open[1]!;
      const close = `</${tag}>`;
      const bodyStart = open.index + open[0].length;
      const end = this.buffer.indexOf(close, bodyStart);
      if (end < 0) {
        this.buffer = this.buffer.slice(open.index);
        return;
      }
      const attrs = parseAttributes(open[2] ?? '');
      const body = this.buffer.slice(bodyStart, end);
      this.buffer = this.buffer.slice(end + close.length);
      this.onElement(toElement(tag, attrs, body, this.bufferRaw(open[0], body, close)));
    }
  }

  /** Call when the stream ended: an element left open is malformed. */
  end(): void {
    const open = OPEN.exec(this.buffer);
    if (open) this.onElement({ kind: 'malformed', reason: `<${open[1]}> was never closed`, raw: this.buffer.slice(0, 500) });
    this.buffer = '';
  }

  private bufferRaw(open: string, body: string, close: string): string {
    return `${open}${body}${close}`.slice(0, 500);
  }
}

function toElement(tag: string, attrs: Record<string, string>, body: string, raw: string): ProtocolElement {
  if (tag === 'thought') return { kind: 'thought', text: body.trim() };
  if (tag === 'response') return { kind: 'response', final: attrs.final === 'true', text: body.trim() };
  const malformed = (reason: string): ProtocolElement => ({ kind: 'malformed', reason, raw });
  if (!attrs.id || !/^[A-Za-z0-9_-]{1,64}$/.test(attrs.id)) return malformed('an action needs an id of letters, digits, _ or -');
  const type = attrs.type ?? 'tool';
  if (!TYPES.includes(type)) return malformed(`action ${attrs.id}: unknown type "${type}"`);
  const mode = attrs.mode ?? 'sync';
  if (mode !== 'sync' && mode !== 'async') return malformed(`action ${attrs.id}: mode must be sync or async`);
  let input: unknown;
  try {
    input = body.trim() === '' ? {} : JSON.parse(body);
  } catch {
    return malformed(`action ${attrs.id}: its body is not valid JSON`);
  }
  const dependsOn = (attrs.depends_on ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return {
    kind: 'action',
    action: { id: attrs.id, type: type as ActionType, mode, dependsOn, outputKey: attrs.output_key || undefined, input },
  };
}

function parseAttributes(text: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of text.matchAll(/([A-Za-z_][\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs[m[1]!] = m[2] ?? m[3] ?? '';
  return attrs;
}
