import type { ChatRequest, ChatTurn, ReasoningBlock, ToolChoice } from '../chat-provider.interface.js';
import { argumentsObject } from './tool-calls.js';
import { anthropicUserContent } from './attachments.js';

/**
 * Chat turns (system turns left out: they go apart) in Anthropic Messages form. An assistant turn's calls are
 * `tool_use` blocks after its text, their input the parsed arguments (arguments that are no JSON object are sent
 * as `{}`: Anthropic takes nothing else, and the call stays in the history with the result it got). With
 * `thinking` on, such a turn starts with its signed thinking blocks, which Anthropic requires back on tool turns;
 * they are sent nowhere else. Tool turns become `tool_result` blocks, a run of them one user message.
 */
export function anthropicMessages(turns: ChatTurn[], thinking: boolean): object[] {
  const messages: { role: string; content: unknown }[] = [];
  for (const turn of turns) {
    if (turn.role === 'system') continue;
    if (turn.role === 'tool') {
      const result = { type: 'tool_result', tool_use_id: turn.toolCallId ?? '', content: turn.content };
      const last = messages.at(-1);
      if (last?.role === 'user' && Array.isArray(last.content) && last.content.every((block: { type?: string }) => block.type === 'tool_result')) last.content.push(result);
      else messages.push({ role: 'user', content: [result] });
    } else if (turn.role === 'assistant' && turn.toolCalls?.length) {
      messages.push({
        role: 'assistant',
        content: [
          ...(thinking ? thinkingBlocks(turn.reasoning ?? []) : []),
          ...(turn.content ? [{ type: 'text', text: turn.content }] : []),
          ...turn.toolCalls.map((call) => ({ type: 'tool_use', id: call.id, name: call.name, input: argumentsObject(call.arguments) })),
        ],
      });
    } else if (turn.role === 'user') {
      messages.push({ role: 'user', content: anthropicUserContent(turn) });
    } else {
      messages.push({ role: turn.role, content: turn.content });
    }
  }
  return messages;
}


/** Signed thinking and redacted thinking, verbatim; thinking without a signature cannot be sent back and is left out. */
function thinkingBlocks(reasoning: ReasoningBlock[]): object[] {
  return reasoning.flatMap<object>((block) => {
    if (block.redactedData) return [{ type: 'redacted_thinking', data: block.redactedData }];
    return block.signature ? [{ type: 'thinking', thinking: block.text, signature: block.signature }] : [];
  });
}

/**
 * `tools` and `tool_choice` as Anthropic takes them: `required` is `any`, a name is `{type: 'tool'}`, and
 * parallel_tool_calls false is the choice's `disable_parallel_tool_use` (which `none` does not take). Nothing
 * without tools.
 */
export function anthropicTools(request: ChatRequest): object {
  if (!request.tools?.length) return {};
  const choice = anthropicToolChoice(request.toolChoice ?? 'auto');
  const serial = request.parallelToolCalls === false && choice.type !== 'none';
  return {
    tools: request.tools.map(({ name, description, parameters }) => ({ name, ...(description && { description }), input_schema: parameters })),
    ...((request.toolChoice !== undefined || serial) && { tool_choice: { ...choice, ...(serial && { disable_parallel_tool_use: true }) } }),
  };
}

function anthropicToolChoice(choice: ToolChoice): { type: string; name?: string } {
  if (typeof choice === 'object') return { type: 'tool', name: choice.name };
  return { type: choice === 'required' ? 'any' : choice };
}
