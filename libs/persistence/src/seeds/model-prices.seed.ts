/**
 * List prices of the catalogue's models (libs/ai/src/provider-catalog.ts), per million tokens, as the seed
 * migration inserts them once. Admins edit prices through /api/admin/prices afterwards; a later list-price
 * change is a new entry with a later `effectiveFrom` and a migration of its own, never an edit of a row here
 * (the migration that seeded it has already run).
 *
 * `source` says where each figure was read and when. Where a figure could not be checked against the
 * provider's own page it says so: check those before relying on the numbers for billing.
 * `effectiveFrom` is the start of the seeded history (the day read), not the day the provider set the price.
 */
export interface SeedPrice {
  provider: string;
  model: string;
  currency: string;
  input: string;
  output: string;
  cachedInput: string;
  /** The providers listed here bill reasoning tokens at the output rate. */
  reasoning: string;
  effectiveFrom: string;
  source: string;
}

const READ = '2026-12-01T00:00:00Z';
const OPENAI = 'https://platform.openai.com/docs/pricing (read 2026-12-01 through third-party copies of the table dated 2026-03..06: tokenmath.io, deploybase.ai)';
const ANTHROPIC = 'https://platform.claude.com/docs/en/about-claude/pricing (read 2026-12-01; cache read = "cache hits and refreshes")';
const GEMINI =
  'https://ai.google.dev/gemini-api/docs/pricing (read 2026-12-01, standard tier, prompts up to 200k tokens; UNSURE: figures from memory of the page and third-party tables, not checked on the page itself; cached input = context-cache price)';
const DEEPSEEK =
  'https://api-docs.deepseek.com/quick_start/pricing (read 2026-12-01; UNSURE: the V3.2 prices of 2025-09 as quoted by Roo Code, updated 2025-12-09; the page\'s older table showed 0.27/1.10 for deepseek-chat)';
const QWEN =
  'https://help.aliyun.com/zh/model-studio/models (mainland China region, CNY, lowest input tier; UNSURE: from memory, not checked on the page; tiered by prompt length)';
const MOONSHOT = 'https://platform.moonshot.cn/docs/pricing/chat (CNY; UNSURE: from memory, not checked on the page)';
const ZHIPU = 'https://open.bigmodel.cn/pricing (CNY, one price for input and output; UNSURE: from memory, not checked on the page)';
const LOCAL = 'Self-hosted: no per-token charge (set a price to account for your own hardware)';

const price = (provider: string, model: string, currency: string, input: string, output: string, cachedInput: string, source: string): SeedPrice => ({
  provider,
  model,
  currency,
  input,
  output,
  cachedInput,
  reasoning: output,
  effectiveFrom: READ,
  source,
});

export const SEED_PRICES: readonly SeedPrice[] = [
  price('openai', 'gpt-4.1', 'USD', '2.00', '8.00', '0.50', OPENAI),
  price('openai', 'gpt-4.1-mini', 'USD', '0.40', '1.60', '0.10', OPENAI),
  price('openai', 'gpt-4o', 'USD', '2.50', '10.00', '1.25', OPENAI),
  price('openai', 'gpt-4o-mini', 'USD', '0.15', '0.60', '0.075', OPENAI),
  price('openai', 'o4-mini', 'USD', '1.10', '4.40', '0.275', OPENAI),
  price('deepseek', 'deepseek-chat', 'USD', '0.28', '0.42', '0.028', DEEPSEEK),
  price('deepseek', 'deepseek-reasoner', 'USD', '0.28', '0.42', '0.028', DEEPSEEK),
  price('qwen', 'qwen-max', 'CNY', '2.40', '9.60', '2.40', QWEN),
  price('qwen', 'qwen-plus', 'CNY', '0.80', '2.00', '0.80', QWEN),
  price('qwen', 'qwen-turbo', 'CNY', '0.30', '0.60', '0.30', QWEN),
  price('moonshot', 'moonshot-v1-8k', 'CNY', '2.00', '10.00', '2.00', MOONSHOT),
  price('moonshot', 'moonshot-v1-32k', 'CNY', '5.00', '20.00', '5.00', MOONSHOT),
  price('moonshot', 'kimi-k2-0711-preview', 'CNY', '4.00', '16.00', '1.00', MOONSHOT),
  price('zhipu', 'glm-4-plus', 'CNY', '5.00', '5.00', '5.00', ZHIPU),
  price('zhipu', 'glm-4-air', 'CNY', '0.50', '0.50', '0.50', ZHIPU),
  price('zhipu', 'glm-4-flash', 'CNY', '0', '0', '0', ZHIPU),
  price('ollama', 'llama3.1', 'USD', '0', '0', '0', LOCAL),
  price('ollama', 'qwen2.5', 'USD', '0', '0', '0', LOCAL),
  price('ollama', 'mistral', 'USD', '0', '0', '0', LOCAL),
  price('anthropic', 'claude-sonnet-4-5', 'USD', '3.00', '15.00', '0.30', ANTHROPIC),
  price('anthropic', 'claude-opus-4-1', 'USD', '15.00', '75.00', '1.50', ANTHROPIC),
  price('anthropic', 'claude-3-5-haiku-latest', 'USD', '0.80', '4.00', '0.08', ANTHROPIC),
  price('gemini', 'gemini-2.5-pro', 'USD', '1.25', '10.00', '0.31', GEMINI),
  price('gemini', 'gemini-2.5-flash', 'USD', '0.30', '2.50', '0.075', GEMINI),
  price('gemini', 'gemini-2.0-flash', 'USD', '0.10', '0.40', '0.025', GEMINI),
  price('echo', 'echo-1', 'USD', '0', '0', '0', 'Local demo model: free'),
];
