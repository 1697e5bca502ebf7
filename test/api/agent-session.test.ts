import { useLlmTestSystem } from '../helpers/llm-system';
import { readSse } from '../helpers/sse';
import { isDone } from '../helpers/system';

/** An agent run's run_code actions share one sandbox session (files persist; processes do not). */
const sys = useLlmTestSystem();

const turn = (id: string, code: string, dependsOn?: string) =>
  `<action type="tool" mode="async" id="${id}"${dependsOn ? ` depends_on="${dependsOn}"` : ''}>${JSON.stringify({ tool: 'run_code', language: 'bash', code })}</action>`;

it('a file one action writes is there for the next, also in a later turn', async () => {
  sys.fakes.openai.script(
    { type: 'text', text: [turn('write', 'echo hello > note.txt; sleep 100 & echo started'), turn('read', 'cat note.txt; pgrep -x sleep || echo no-sleep', 'write'), '<response final="false">next</response>'].join('\n') },
    { type: 'text', text: [turn('again', 'cat note.txt; ls'), '<response final="false">more</response>'].join('\n') },
    { type: 'text', text: '<response final="true">done</response>' },
  );
  const created = await sys.t.call('POST', '/v1/runs', { body: { kind: 'agent', prompt: 'Write, then read.', model: 'fake/coder' } });
  const headers = { authorization: `Bearer ${await sys.t.token('alice')}` };
  const stream = await readSse(`${sys.t.url}/v1/runs/${created.body.id}/events`, { headers });
  const finished = Object.fromEntries(
    stream.events
      .filter((e) => e.event === 'step')
      .map((e) => JSON.parse(e.data))
      .filter((s) => s.name === 'action_finished')
      .map((s) => [s.id, s]),
  );
  expect(finished.write.output).toMatchObject({ stdout: 'started\n', verdict: 'ok' });
  expect(finished.read.output).toMatchObject({ stdout: 'hello\nno-sleep\n', verdict: 'ok' });
  expect(finished.again.output.stdout).toBe('hello\nmain.sh\nnote.txt\n');
  expect(finished.again.output.freshWorkspace).toBeUndefined();
  const run = await sys.t.waitFor(created.body.id, isDone);
  expect(run.status).toBe('succeeded');
});
