import { startFakeLlm } from './fake-llm.server.js';

const number = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number`);
  return value;
};

const server = await startFakeLlm({
  port: number('FAKE_LLM_PORT', 4010),
  host: process.env.FAKE_LLM_HOST ?? '127.0.0.1',
  maxRecorded: 0,
  defaults: {
    deltas: number('FAKE_LLM_DELTAS', 8),
    delayMs: number('FAKE_LLM_DELAY_MS', 0),
    firstDelayMs: number('FAKE_LLM_FIRST_DELAY_MS', 0),
  },
});
console.log(`fake-llm listening on ${server.url} (OpenAI /v1/chat/completions, Anthropic /v1/messages, Gemini /v1beta/models/{model}:streamGenerateContent)`);

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void server.close().then(() => process.exit(0)));
}
