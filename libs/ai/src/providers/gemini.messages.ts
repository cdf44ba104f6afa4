import type { ChatRequest, ChatTurn, ToolCall, ToolChoice } from '../chat-provider.interface.js';
import { argumentsObject } from './tool-calls.js';
import { geminiUserParts } from './attachments.js';

/**
 * What Gemini 3 takes in place of a thoughtSignature it never gave (a history from another model, or from before
 * signatures were kept): Google's documented value that skips the check, rather than a 400 for the whole request.
 */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';

/**
 * Chat turns (system turns left out: they go apart) as Gemini contents. An assistant turn's calls are
 * `functionCall` parts after its text, args the parsed arguments (`{}` when they are no JSON object), each with
 * its thoughtSignature, which Gemini 3 requires back; a turn of calls with none gets the skip value on its first,
 * where Gemini puts its own. A run of tool turns is one user turn of `functionResponse` parts, named after the call
 * they answer (Gemini wants the name), the result as the object it must be: JSON that parses to an object as it
 * is, anything else wrapped as `{content}`.
 */
export function geminiContents(turns: ChatTurn[]): object[] {
  const names = new Map<string, string>();
  const contents: { role: string; parts: object[] }[] = [];
  let answering = false;
  for (const turn of turns) {
    if (turn.role === 'system') continue;
    if (turn.role === 'tool') {
      const id = turn.toolCallId ?? '';
      const part = { functionResponse: { ...(id && { id }), name: names.get(id) ?? id, response: responseObject(turn.content) } };
      if (answering) contents.at(-1)!.parts.push(part);
      else contents.push({ role: 'user', parts: [part] });
      answering = true;
      continue;
    }
    answering = false;
    if (turn.role === 'assistant') {
      const calls = turn.toolCalls ?? [];
      calls.forEach((call) => names.set(call.id, call.name));
      const signed = calls.some((call) => call.signature);
      contents.push({
        role: 'model',
        parts: [...(turn.content || calls.length === 0 ? [{ text: turn.content }] : []), ...calls.map((call, i) => functionCallPart(call, signed || i > 0 ? call.signature : SKIP_THOUGHT_SIGNATURE))],
      });
    } else {
      contents.push({ role: 'user', parts: geminiUserParts(turn) });
    }
  }
  return contents;
}


function functionCallPart(call: ToolCall, signature: string | undefined): object {
  return { functionCall: { id: call.id, name: call.name, args: argumentsObject(call.arguments) }, ...(signature && { thoughtSignature: signature }) };
}

function responseObject(content: string): Record<string, unknown> {
  let value: unknown = content;
  try {
    value = JSON.parse(content);
  } catch {
    // Plain text: sent as it is, wrapped.
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { content: value };
}

/**
 * `tools` as function declarations (their JSON Schema as `parametersJsonSchema`, which takes all of JSON Schema
 * where `parameters` takes only an OpenAPI subset) and the choice as toolConfig: `required` is ANY, a name is ANY
 * limited to it. Gemini has no switch for parallel calls: parallelToolCalls is not sent. Nothing without tools.
 */
export function geminiTools(request: ChatRequest): object {
  if (!request.tools?.length) return {};
  return {
    tools: [{ functionDeclarations: request.tools.map(({ name, description, parameters }) => ({ name, ...(description && { description }), parametersJsonSchema: parameters })) }],
    ...(request.toolChoice !== undefined && { toolConfig: { functionCallingConfig: geminiToolChoice(request.toolChoice) } }),
  };
}

function geminiToolChoice(choice: ToolChoice): object {
  if (typeof choice === 'object') return { mode: 'ANY', allowedFunctionNames: [choice.name] };
  return { mode: ({ auto: 'AUTO', none: 'NONE', required: 'ANY' } as const)[choice] };
}
