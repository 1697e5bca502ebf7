import type { ChatMessage } from '../../llm';
import { findJsonValues } from '../autorun/lenient-json';
import type { ActionOutcome } from './scheduler';

export const AGENT_SYSTEM = `You are an agent that solves tasks step by step using this protocol (and nothing else):
<thought>your reasoning</thought>
<action type="tool|llm|internal" mode="sync|async" id="unique_id" depends_on="id1,id2" output_key="name">{json input}</action>
<response final="true|false">text for the user</response>

Actions:
- type="tool" {"tool": "run_code", "language": "python|javascript|bash", "code": "...", "stdin": "..."}: runs code in a sandbox; output {stdout, stderr, exitCode, verdict}.
- type="tool" {"tool": "read_artifact", "runId"?: "...", "attempt"?: 1, "kind"?: "..."}: reads stored artifacts of this or another of your runs.
- type="llm" {"prompt": "...", "model"?: "provider/model", "system"?: "..."}: asks another model; output {text, model}.
- type="internal" {any json}: a context note; its value is returned to you as is.
mode="async" actions start as soon as their depends_on are done, in parallel; mode="sync" (default) waits for all earlier actions.
In an input, "$name" (or "$name.field") is replaced by the output of the action with that id or output_key; inside longer text a string output loses its trailing newlines.
Each id names one action for the whole run: an action sent again with the same id and input is not run again, its earlier result is returned.
Results come back as <result id="..."> elements. Finish with <response final="true">.`;

export function initialMessages(task: string, system?: string): ChatMessage[] {
  return [
    { role: 'system', content: system ? `${AGENT_SYSTEM}\n\n${system}` : AGENT_SYSTEM },
    { role: 'user', content: task },
  ];
}

function resultElements(outcomes: ActionOutcome[]): string[] {
  return outcomes.map((o) => {
    const key = o.outputKey ? ` output_key="${o.outputKey}"` : '';
    const reused = o.reusedFrom !== undefined ? ` reused_from_step="${o.reusedFrom}"` : '';
    const body = o.ok ? JSON.stringify(o.output) : JSON.stringify({ error: o.error });
    return `<result id="${o.id}"${key} ok="${o.ok}"${reused}>${body.slice(0, 20_000)}</result>`;
  });
}

/** The results of a turn's actions, as the next user message. */
export function resultsMessage(outcomes: ActionOutcome[]): ChatMessage {
  const parts = resultElements(outcomes);
  const text = parts.length > 0 ? parts.join('\n') : 'No actions ran.';
  return { role: 'user', content: `${text}\nContinue; finish with <response final="true">.` };
}

/**
 * The corrective prompt after a malformed turn: what was wrong, and what of that
 * turn ran anyway (its valid actions did), with their results, so the model need
 * not guess; re-sending those actions unchanged is harmless (they are reused).
 */
export function correctionMessage(reasons: string[], ran: ActionOutcome[]): ChatMessage {
  const lines = [`Your last output did not follow the protocol:`, ...reasons.map((r) => `- ${r}`)];
  if (ran.length > 0) {
    lines.push(
      `Its valid actions ran anyway (${ran.map((o) => o.id).join(', ')}); their results are below. Do not run them again: use their ids or output_keys (an action re-sent with the same id and input is not run again).`,
      ...resultElements(ran),
    );
  } else {
    lines.push('None of its actions ran.');
  }
  lines.push('Reply again using only <thought>, <action> and <response> elements.');
  return { role: 'user', content: lines.join('\n') };
}

/**
 * Why a turn with no <action> and no <response> is malformed: it wrote no
 * protocol element at all (plain prose, a JSON tool call in another API's
 * style), or only thoughts.
 */
export function missingElementsReason(text: string, sawThought: boolean): string {
  if (sawThought) return 'the output has a <thought> but no <action> and no <response>: act, or answer with <response final="true">';
  const call = findJsonValues(text).find((v) => looksLikeToolCall(v));
  if (call) {
    return 'the output is a JSON tool call, which this protocol does not use: put the input in an element, e.g. <action type="tool" id="run1">{"tool": "run_code", "language": "python", "code": "print(1)"}</action>';
  }
  return 'the output contains no <thought>, <action> or <response> element: wrap actions in <action> and the answer in <response final="true">';
}

function looksLikeToolCall(v: unknown): boolean {
  if (!v || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some(looksLikeToolCall);
  const o = v as Record<string, unknown>;
  return 'tool' in o || 'tool_calls' in o || 'function' in o || 'function_call' in o || ('name' in o && ('arguments' in o || 'parameters' in o || 'input' in o));
}
