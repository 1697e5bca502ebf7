import type { AgentDoc } from '../core/agents';

/** The public shape of a saved agent, with links to start it and to its runs. */
export function presentAgent(agent: AgentDoc) {
  const self = `/v1/agents/${agent._id}`;
  return {
    id: agent._id,
    owner: agent.owner,
    name: agent.name,
    description: agent.description,
    model: agent.model,
    systemPrompt: agent.systemPrompt,
    language: agent.language,
    prompt: agent.prompt,
    tests: agent.tests,
    limits: agent.limits,
    maxAttempts: agent.maxAttempts,
    createdAt: agent.createdAt,
    updatedAt: agent.updatedAt,
    links: { self, autoRun: `${self}/auto-run`, runs: `${self}/runs` },
  };
}
