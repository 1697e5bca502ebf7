/**
 * TEST AND DEMO AID — not a model. The demo model behind scripts/fake-llm.ts:
 * it recognises Paddock's own prompts and answers them so that the headline
 * features succeed end to end offline:
 *
 * - autorun (and evaluation, which asks the same): the program for a known task
 *   (demo-tasks.ts) in one fenced block, plus tests when asked for;
 * - agent runs: a `run_code` action that shows the solution at work (or counts
 *   the task's words for any other task), then a final response quoting its output;
 * - anything else (compare, consensus, experiments, integration tests, chat):
 *   a short answer that names the model and the question.
 *
 * An autorun task it does not know gets a refusal that lists the tasks it knows.
 */
import type { FakeReply } from './fake-server';
import type { FakeLlmServers } from './index';
import { describeDemoTasks, findDemoTask, type DemoLanguage } from './demo-tasks';

interface Turn {
  role: string;
  text: string;
}

/** The FakeLlmServer.responder of the demo. */
export function demoReply({ model, body }: { model: string; body: any }): FakeReply {
  const { system, turns } = conversationOf(body);
  const text = answer(model, system, turns);
  const promptChars = system.length + turns.reduce((n, t) => n + t.text.length, 0);
  // Streamed in small pieces a moment apart, so a live view shows tokens arriving.
  return { type: 'text', text, chunks: Math.min(12, Math.max(1, Math.ceil(text.length / 40))), delayMs: 15, usage: { input: tokens(promptChars), output: tokens(text.length) } };
}

function answer(model: string, system: string, turns: Turn[]): string {
  const lastUser = [...turns].reverse().find((t) => t.role === 'user')?.text ?? '';
  if (system.includes('You are an agent that solves tasks step by step')) return agentTurn(turns);
  const autorun = system.match(/You write (python|javascript) code that solves the user's task/);
  if (autorun) return autorunAnswer(autorun[1] as DemoLanguage, system, turns);
  if (/Reply with the single word: pong/.test(lastUser)) return 'pong';
  return `${model} (demo model) on "${firstLine(lastUser)}": a short, fixed answer from Paddock's offline demo — it shows the flow, not a model's judgement.`;
}

function autorunAnswer(language: DemoLanguage, system: string, turns: Turn[]): string {
  const task = turns.find((t) => t.role === 'user')?.text ?? '';
  const solution = findDemoTask(task)?.solutions[language];
  if (!solution) {
    return `I am Paddock's demo model (scripts/fake-llm.ts), not a real model: I can only write code for these tasks: ${describeDemoTasks()}. Ask for one of them in ${language}.`;
  }
  const wantsTests = system.includes('give 3 to 8 tests as a JSON array');
  let out = `Here is a ${language} solution.\n\n\`\`\`${language}\n${solution.code}\`\`\`\n`;
  if (wantsTests) out += `\nTests:\n\n\`\`\`json\n${JSON.stringify(solution.tests, null, 2)}\n\`\`\`\n`;
  return out;
}

/** First turn: one run_code action. Once its result is back: the final response. */
function agentTurn(turns: Turn[]): string {
  const task = turns.find((t) => t.role === 'user')?.text ?? '';
  const result = [...turns].reverse().find((t) => t.role === 'user' && t.text.includes('<result id="demo"'));
  if (result) return finalResponse(result.text);
  const found = findDemoTask(task);
  const language: DemoLanguage = found?.solutions.python ? 'python' : found?.solutions.javascript ? 'javascript' : 'python';
  const solution = found?.solutions[language];
  const code = solution
    ? `${solution.code}\n${solution.show}\n`
    : `task = ${JSON.stringify(task)}\nprint(len(task.split()), "words in the task")\n`;
  const thought = solution ? `I will run a ${found!.name} solution in the sandbox and report what it prints.` : 'I do not know this task; I will count its words in the sandbox.';
  const input = JSON.stringify({ tool: 'run_code', language, code });
  return `<thought>${thought}</thought>\n<action type="tool" mode="sync" id="demo" output_key="demo_output">${input}</action>`;
}

function finalResponse(resultText: string): string {
  const m = resultText.match(/<result id="demo"[^>]*ok="(true|false)"[^>]*>([\s\S]*?)<\/result>/);
  if (!m) return '<response final="true">The sandbox returned no result I can read.</response>';
  let output: { stdout?: string; error?: string; verdict?: string } = {};
  try {
    output = JSON.parse(m[2]!);
  } catch {
    // a result cut at its size cap: report what is known
  }
  if (m[1] !== 'true') return `<response final="true">The program could not run: ${output.error ?? 'unknown error'}</response>`;
  return `<thought>The program finished (${output.verdict ?? 'ok'}).</thought>\n<response final="true">The program printed: ${(output.stdout ?? '').trim()}</response>`;
}

/** System text and turns of a chat request, whichever provider's wire shape it has. */
function conversationOf(body: any): { system: string; turns: Turn[] } {
  const systems: string[] = [];
  if (body?.system !== undefined) systems.push(textOf(body.system)); // Anthropic
  if (body?.systemInstruction !== undefined) systems.push(textOf(body.systemInstruction)); // Gemini
  const raw: any[] = Array.isArray(body?.messages) ? body.messages : Array.isArray(body?.contents) ? body.contents : [];
  const turns: Turn[] = [];
  for (const m of raw) {
    const text = textOf(m.content ?? m.parts ?? m);
    if (m.role === 'system' || m.role === 'developer') systems.push(text);
    else turns.push({ role: m.role === 'model' || m.role === 'assistant' ? 'assistant' : 'user', text });
  }
  return { system: systems.join('\n'), turns };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(textOf).join('');
  if (content && typeof content === 'object') {
    const o = content as Record<string, unknown>;
    if (typeof o.text === 'string') return o.text;
    if (o.parts !== undefined) return textOf(o.parts);
  }
  return '';
}

const tokens = (chars: number) => Math.max(1, Math.ceil(chars / 4));
const firstLine = (s: string) => {
  const line = s.trim().split('\n')[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 77)}…` : line;
};

/** Lets every fake server answer unscripted chat requests as the demo model. */
export function useDemoModel(fakes: Pick<FakeLlmServers, 'openai' | 'anthropic' | 'google' | 'ollama' | 'compatible'>): void {
  for (const server of [fakes.openai, fakes.anthropic, fakes.google, fakes.ollama, fakes.compatible]) server.responder = demoReply;
}

/** LLM_PROVIDERS of the demo: one provider per fake server, with the models the README's examples use. */
export function demoProviders(fakes: FakeLlmServers, keyEnv: string): unknown[] {
  return [
    { name: 'llamafarm', type: 'openai-compatible', baseURL: fakes.compatible.baseURL, models: ['llamafarm-chat', 'llamafarm-embed'] },
    { name: 'ollama', type: 'ollama', baseURL: fakes.ollama.baseURL, models: ['llama3.2:1b', 'nomic-embed-text'] },
    {
      name: 'openai', type: 'openai', baseURL: fakes.openai.baseURL, apiKeyEnv: keyEnv, models: ['gpt-4o-mini', 'text-embedding-3-small'],
      prices: { 'gpt-4o-mini': { inputPerMTok: 0.15, outputPerMTok: 0.6 } },
    },
    {
      name: 'anthropic', type: 'anthropic', baseURL: fakes.anthropic.baseURL, apiKeyEnv: keyEnv, models: ['claude-3-5-haiku-latest'],
      prices: { 'claude-3-5-haiku-latest': { inputPerMTok: 0.8, outputPerMTok: 4 } },
    },
    { name: 'gemini', type: 'google', baseURL: fakes.google.baseURL, apiKeyEnv: keyEnv, models: ['gemini-2.0-flash', 'text-embedding-004'] },
  ];
}
