import type { AgentSpec, ExperimentRequest, MessageDoc } from '../../core/experiments';
import type { Llm } from '../../llm';
import { pickNamed, selectorMessages } from './prompts';
import { resolveModel } from './models';

export interface SpeakerChoice {
  agent: AgentSpec;
  /** The selector call that made the choice (speakerOrder "selector" with more than one agent). */
  selector?: NonNullable<MessageDoc['selector']>;
}

/**
 * Who speaks at message `seq` (1-based) of an iteration.
 *
 * - round_robin: the agents in the order given, one turn each per round.
 * - selector: a model (selectorModel, default the first agent's model) is shown the
 *   roster, the task and the last 20 messages and asked for one name. The previous
 *   speaker is not a candidate (nobody answers themselves) unless there is only one
 *   agent. The first candidate named in the reply wins; a reply naming none falls
 *   back to round-robin order after the previous speaker. A round is still
 *   "one turn per agent" (agents.length messages), so `rounds` bounds the length.
 */
export async function chooseSpeaker(
  req: ExperimentRequest,
  transcript: MessageDoc[],
  llm: Llm,
  signal: AbortSignal,
): Promise<SpeakerChoice> {
  const { agents } = req;
  const previous = transcript[transcript.length - 1];
  const rotate = () => {
    const prevIndex = previous ? agents.findIndex((a) => a.name === previous.agent) : -1;
    return agents[(prevIndex + 1) % agents.length]!;
  };
  if (req.speakerOrder === 'round_robin' || agents.length === 1) {
    return { agent: agents[transcript.length % agents.length]! };
  }
  const candidates = agents.filter((a) => a.name !== previous?.agent);
  const model = await resolveModel(llm, req.selectorModel ?? agents[0]!.model);
  const res = await llm.chat({
    model,
    messages: selectorMessages(agents, candidates, req.task.prompt, transcript),
    temperature: 0,
    maxOutputTokens: 20,
    signal,
  });
  const agent = pickNamed(res.text, candidates) ?? rotate();
  return {
    agent,
    selector: { model: res.model, usage: res.usage, ...(res.costUsd !== undefined ? { costUsd: res.costUsd } : {}), latencyMs: res.latencyMs },
  };
}
