import { parseLenientJson } from '../autorun/lenient-json';

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
 * What real models get wrong and is read anyway: tag names in any case;
 * attribute values unquoted (`final=true`), single-quoted, or absent (`final`);
 * `final` as True/yes/1; an action body in a ```json fence, with CRLF, literal
 * newlines or other slips inside its strings (lenient-json.ts); a <thought>
 * never closed (it ends where the next element starts).
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

const OPEN = /<(thought|action|response)(\s[^>]*)?>/i;
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
      const tag = open[1]!.toLowerCase();
      const bodyStart = open.index + open[0].length;
      const close = new RegExp(`</${tag}\\s*>`, 'i').exec(this.buffer.slice(bodyStart));
      if (!close) {
        this.buffer = this.buffer.slice(open.index);
        return;
      }
      const end = bodyStart + close.index;
      const after = end + close[0].length;
      this.emit(tag, open[2], this.buffer.slice(bodyStart, end), this.buffer.slice(open.index, after));
      this.buffer = this.buffer.slice(after);
    }
  }

  /**
   * Call when the stream ended. A <thought> never closed ends at the next element
   * (whose parsing goes on) or at the end; any other element left open is malformed.
   */
  end(): void {
    for (;;) {
      const open = OPEN.exec(this.buffer);
      if (!open) break;
      const bodyStart = open.index + open[0].length;
      if (open[1]!.toLowerCase() !== 'thought') {
        this.onElement({ kind: 'malformed', reason: `<${open[1]!.toLowerCase()}> was never closed`, raw: this.buffer.slice(open.index, open.index + 500) });
        break;
      }
      const next = OPEN.exec(this.buffer.slice(bodyStart));
      const end = next ? bodyStart + next.index : this.buffer.length;
      this.emit('thought', open[2], this.buffer.slice(bodyStart, end), this.buffer.slice(open.index, end));
      this.buffer = this.buffer.slice(end);
      this.push('');
    }
    this.buffer = '';
  }

  private emit(tag: string, attrText: string | undefined, body: string, raw: string): void {
    this.onElement(toElement(tag, parseAttributes(attrText ?? ''), body, raw.slice(0, 500)));
  }
}

function toElement(tag: string, attrs: Record<string, string>, body: string, raw: string): ProtocolElement {
  const malformed = (reason: string): ProtocolElement => ({ kind: 'malformed', reason, raw });
  if (tag === 'thought') return { kind: 'thought', text: body.trim() };
  if (tag === 'response') {
    const final = parseFinal(attrs.final);
    if (final === undefined) return malformed(`<response final="${attrs.final}">: final must be "true" or "false"`);
    return { kind: 'response', final, text: body.trim() };
  }
  if (!attrs.id || !/^[A-Za-z0-9_-]{1,64}$/.test(attrs.id)) return malformed('an action needs an id of letters, digits, _ or -');
  const type = (attrs.type ?? 'tool').toLowerCase();
  if (!TYPES.includes(type)) return malformed(`action ${attrs.id}: unknown type "${type}" (tool, llm or internal)`);
  const mode = (attrs.mode ?? 'sync').toLowerCase();
  if (mode !== 'sync' && mode !== 'async') return malformed(`action ${attrs.id}: mode must be sync or async`);
  const json = unfence(body).trim();
  const input = json === '' ? {} : parseLenientJson(json);
  if (input === undefined) return malformed(`action ${attrs.id}: its body is not valid JSON`);
  const dependsOn = (attrs.depends_on ?? attrs['depends-on'] ?? '').split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
  return {
    kind: 'action',
    action: { id: attrs.id, type: type as ActionType, mode, dependsOn, outputKey: attrs.output_key || attrs['output-key'] || undefined, input },
  };
}

/** `final` absent = not final; `final` alone, true/yes/1 (any case) = final; false/no/0 = not; else undefined. */
function parseFinal(value: string | undefined): boolean | undefined {
  if (value === undefined) return false;
  const v = value.trim().toLowerCase();
  if (v === '' || v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'false' || v === 'no' || v === '0') return false;
  return undefined;
}

/** An action body fenced as ```json … ``` is read as the JSON inside. */
function unfence(body: string): string {
  const m = /^\s*```[\w-]*[^\S\n]*\r?\n([\s\S]*?)\r?\n?\s*```\s*$/.exec(body);
  return m ? m[1]! : body;
}

/** Attributes: name="v", name='v', name=v (unquoted, up to a space) or a bare name (value ''). */
function parseAttributes(text: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of text.matchAll(/([A-Za-z_][\w-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    attrs[m[1]!.toLowerCase()] = (m[2] ?? m[3] ?? m[4] ?? '').trim();
  }
  return attrs;
}
