import type { ProviderKind } from './chat-provider.interface.js';

/** What a model reads besides text: images (PNG, JPEG, WebP, GIF) and PDF documents. */
export type AttachmentInput = 'image' | 'pdf';

export interface ModelInfo {
  id: string;
  description?: string;
  /** Overrides the provider's `input` for this model. */
  input?: AttachmentInput[];
}

export interface ProviderInfo {
  id: ProviderId;
  label: string;
  kind: ProviderKind;
  /** Where requests go unless the user saved a base URL of their own. */
  defaultBaseUrl?: string;
  requiresKey: boolean;
  requiresBaseUrl: boolean;
  /** Used when neither the request, the session nor the user's settings name a model. */
  defaultModel?: string;
  models: ModelInfo[];
  /**
   * What its models read besides text, unless a model says otherwise; also for models not listed (an endpoint
   * of the user's own gets the benefit of the doubt: the upstream refuses what it cannot read).
   */
  input: AttachmentInput[];
}

export const PROVIDER_IDS = ['openai', 'deepseek', 'qwen', 'moonshot', 'zhipu', 'ollama', 'custom', 'anthropic', 'gemini', 'echo'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

const models = (...ids: string[]): ModelInfo[] => ids.map((id) => ({ id }));

/** Adding a provider that speaks an existing wire format is one entry here. */
const CATALOG: Record<ProviderId, Omit<ProviderInfo, 'id'>> = {
  openai: {
    label: 'OpenAI',
    kind: 'openai',
    defaultBaseUrl: 'https://api.openai.com/v1',
    requiresKey: true,
    requiresBaseUrl: false,
    models: models('gpt-4.1', 'gpt-4.1-mini', 'gpt-4o', 'gpt-4o-mini', 'o4-mini'),
    input: ['image', 'pdf'],
  },
  deepseek: {
    label: 'DeepSeek',
    kind: 'openai',
    defaultBaseUrl: 'https://api.deepseek.com/v1',
    requiresKey: true,
    requiresBaseUrl: false,
    models: models('deepseek-chat', 'deepseek-reasoner'),
    input: [],
  },
  qwen: {
    label: 'Qwen (DashScope compatible mode)',
    kind: 'openai',
    defaultBaseUrl: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
    requiresKey: true,
    requiresBaseUrl: false,
    models: [...models('qwen-max', 'qwen-plus', 'qwen-turbo'), { id: 'qwen-vl-max', input: ['image'] }],
    input: [],
  },
  moonshot: {
    label: 'Moonshot (Kimi)',
    kind: 'openai',
    defaultBaseUrl: 'https://api.moonshot.cn/v1',
    requiresKey: true,
    requiresBaseUrl: false,
    models: models('moonshot-v1-8k', 'moonshot-v1-32k', 'kimi-k2-0711-preview'),
    input: [],
  },
  zhipu: {
    label: 'Zhipu (GLM)',
    kind: 'openai',
    defaultBaseUrl: 'https://open.bigmodel.cn/api/paas/v4',
    requiresKey: true,
    requiresBaseUrl: false,
    models: [...models('glm-4-plus', 'glm-4-air', 'glm-4-flash'), { id: 'glm-4v-plus', input: ['image'] }],
    input: [],
  },
  ollama: {
    label: 'Ollama (OpenAI-compatible, on-premise)',
    kind: 'openai',
    // Loopback: an operator must add the host to ALLOWED_UPSTREAM_HOSTS (and allow http) to use it.
    defaultBaseUrl: 'http://127.0.0.1:11434/v1',
    requiresKey: false,
    requiresBaseUrl: false,
    models: [...models('llama3.1', 'qwen2.5', 'mistral').map((model) => ({ ...model, input: [] })), { id: 'llava', input: ['image'] }],
    input: ['image'],
  },
  custom: {
    label: 'Custom OpenAI-compatible endpoint',
    kind: 'openai',
    requiresKey: true,
    requiresBaseUrl: true,
    models: [],
    input: ['image', 'pdf'],
  },
  anthropic: {
    label: 'Anthropic',
    kind: 'anthropic',
    defaultBaseUrl: 'https://api.anthropic.com/v1',
    requiresKey: true,
    requiresBaseUrl: false,
    models: models('claude-sonnet-4-5', 'claude-opus-4-1', 'claude-3-5-haiku-latest'),
    input: ['image', 'pdf'],
  },
  gemini: {
    label: 'Google Gemini',
    kind: 'gemini',
    defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta',
    requiresKey: true,
    requiresBaseUrl: false,
    models: models('gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.0-flash'),
    input: ['image', 'pdf'],
  },
  echo: {
    label: 'Echo (local demo)',
    kind: 'echo',
    requiresKey: false,
    requiresBaseUrl: false,
    defaultModel: 'echo-1',
    models: [{ id: 'echo-1', description: 'Local demo model: no key, no network; streams your message back word by word' }],
    input: [],
  },
};

export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && (PROVIDER_IDS as readonly string[]).includes(value);
}

export function getProviderInfo(id: ProviderId): ProviderInfo {
  return { id, ...CATALOG[id] };
}

/** The kind of input a file of `mediaType` is to a model. */
export function attachmentInput(mediaType: string): AttachmentInput {
  return mediaType === 'application/pdf' ? 'pdf' : 'image';
}

/** Whether `model` of `provider` reads files of every one of `mediaTypes`. */
export function acceptsAttachments(provider: ProviderId, model: string, mediaTypes: readonly string[]): boolean {
  const info = CATALOG[provider];
  const input = info.models.find((listed) => listed.id === model)?.input ?? info.input;
  return mediaTypes.every((mediaType) => input.includes(attachmentInput(mediaType)));
}
