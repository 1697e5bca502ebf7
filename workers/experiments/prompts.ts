import type { AgentSpec, MessageDoc } from '../../core/experiments';
import type { ChatMessage } from '../../llm';

/**
 * What each agent sees: its system prompt plus who it is, the task, and the
 * conversation so far — its own turns as `assistant`, everyone else's as `user`
 * lines prefixed with the speaker's name. Consecutive same-role turns are merged
 * (some providers require alternating roles), and the list always ends on a
 * `user` turn.
 */
export function agentMessages(agent: AgentSpec, agents: AgentSpec[], task: string, transcript: MessageDoc[]): ChatMessage[] {
  const others = agents.filter((a) => a.name !== agent.name).map((a) => a.name);
  const who = others.length > 0
    ? `You are ${agent.name}, taking part in a conversation with ${others.join(', ')}. Speak only as ${agent.name}, one turn at a time; do not write the others' turns.`
    : `You are ${agent.name}.`;
  const out: { role: 'system' | 'user' | 'assistant'; content: string }[] = [
    { role: 'system', content: [agent.systemPrompt.trim(), who].filter(Boolean).join('\n\n') },
  ];
  const push = (role: 'user' | 'assistant', content: string) => {
    const last = out[out.length - 1]!;
    if (last.role === role) last.content += `\n\n${content}`;
    else out.push({ role, content });
  };
  push('user', `Task: ${task}`);
  for (const m of transcript) {
    if (m.agent === agent.name) push('assistant', m.content);
    else push('user', `${m.agent}: ${m.content}`);
  }
  if (out[out.length - 1]!.role !== 'user') push('user', `${agent.name}, it is your turn again.`);
  return out;
}

/** How much of the conversation the selector is shown (the newest messages). */
const SELECTOR_WINDOW = 20;

/** The selector's prompt: the task, the recent conversation, and the names it may choose from. */
export function selectorMessages(agents: AgentSpec[], candidates: AgentSpec[], task: string, transcript: MessageDoc[]): ChatMessage[] {
  const roster = agents.map((a) => `- ${a.name}: ${a.systemPrompt.slice(0, 200).replace(/\s+/g, ' ')}`).join('\n');
  const recent = transcript.slice(-SELECTOR_WINDOW).map((m) => `${m.agent}: ${m.content}`).join('\n\n') || '(nobody has spoken yet)';
  return [
    {
      role: 'system',
      content: `You moderate a conversation between these participants:\n${roster}\n\nChoose who should speak next. Reply with exactly one name and nothing else.`,
    },
    {
      role: 'user',
      content: `Task: ${task}\n\nConversation so far:\n${recent}\n\nWho speaks next? Choose one of: ${candidates.map((a) => a.name).join(', ')}.`,
    },
  ];
}

/**
 * The selector's reply → a candidate: the candidate whose name occurs earliest in
 * the reply (case-insensitive, as a whole word); undefined when none does.
 */
export function pickNamed(reply: string, candidates: AgentSpec[]): AgentSpec | undefined {
  let best: { agent: AgentSpec; at: number } | undefined;
  for (const agent of candidates) {
    const escaped = agent.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const match = new RegExp(`(^|[^A-Za-z0-9_])${escaped}(?![A-Za-z0-9_])`, 'i').exec(reply);
    if (match && (!best || match.index < best.at)) best = { agent, at: match.index };
  }
  return best?.agent;
}
