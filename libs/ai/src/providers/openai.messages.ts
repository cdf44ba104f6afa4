import type { ChatRequest, ChatTurn, ToolChoice } from '../chat-provider.interface.js';
import { openAiUserContent } from './attachments.js';

/**
 * Chat turns in OpenAI chat.completions form: an assistant turn's calls as `tool_calls` (its content null when it
 * has none, as OpenAI writes it), a tool turn as role `tool` with its `tool_call_id`. Reasoning is not sent back:
 * the format has no field for it.
 */
export function openAiMessages(turns: ChatTurn[]): object[] {
  return turns.map((turn) => {
    switch (turn.role) {
      case 'user':
        return { role: 'user', content: openAiUserContent(turn) };
      case 'assistant':
        return turn.toolCalls?.length
          ? {
              role: 'assistant',
              content: turn.content || null,
              tool_calls: turn.toolCalls.map(({ id, name, arguments: args }) => ({ id, type: 'function', function: { name, arguments: args } })),
            }
          : { role: 'assistant', content: turn.content };
      case 'tool':
        return { role: 'tool', tool_call_id: turn.toolCallId ?? '', content: turn.content };
      default:
        return { role: turn.role, content: turn.content };
    }
  });
}


/**
 * `tools`, `tool_choice` and `parallel_tool_calls` as OpenAI takes them; none of them without tools, since OpenAI
 * refuses `parallel_tool_calls` (and a named choice) that way.
 */
export function openAiTools(request: ChatRequest): object {
  if (!request.tools?.length) return {};
  return {
    tools: request.tools.map(({ name, description, parameters }) => ({ type: 'function', function: { name, ...(description && { description }), parameters } })),
    ...(request.toolChoice !== undefined && { tool_choice: openAiToolChoice(request.toolChoice) }),
    ...(request.parallelToolCalls !== undefined && { parallel_tool_calls: request.parallelToolCalls }),
  };
}

function openAiToolChoice(choice: ToolChoice): unknown {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}
