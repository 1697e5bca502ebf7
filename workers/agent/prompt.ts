import type { ChatMessage } from '../../llm';
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
In an input, "$name" (or "$name.field") is replaced by the output of the action with that id or output_key.
Results come back as <result id="..."> elements. Finish with <response final="true">.`;

export function initialMessages(task: string, system?: string): ChatMessage[] {
  return [
    { role: 'system', content: system ? `${AGENT_SYSTEM}\n\n${system}` : AGENT_SYSTEM },
    { role: 'user', content: task },
  ];
}

/** The results of a turn's actions, as the next user message. */
export function resultsMessage(outcomes: ActionOutcome[]): ChatMessage {
  const parts = outcomes.map((o) => {
    const key = o.outputKey ? ` output_key="${o.outputKey}"` : '';
    const body = o.ok ? JSON.stringify(o.output) : JSON.stringify({ error: o.error });
    return `<result id="${o.id}"${key} ok="${o.ok}">${body.slice(0, 20_000)}</result>`;
  });
  const text = parts.length > 0 ? parts.join('\n') : 'No actions ran.';
  return { role: 'user', content: `${text}\nContinue; finish with <response final="true">.` };
}

export function correctionMessage(reasons: string[]): ChatMessage {
  return {
    role: 'user',
    content: `Your last output did not follow the protocol:\n${reasons.map((r) => `- ${r}`).join('\n')}\nReply again using only <thought>, <action> and <response> elements.`,
  };
}
