import { ValidateBy, type ValidationOptions } from 'class-validator';

/** What OpenAI, Anthropic and Responses clients send as a message's content: a string, or typed parts. */
export type TextContent = string | { type: string; text?: unknown }[];

const MAX_PARTS = 1000;

/** A string, or an array of at most 1000 objects each with a string `type`. */
export function IsTextContent(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isTextContent',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' ||
          (Array.isArray(value) && value.length <= MAX_PARTS && value.every((part) => typeof part === 'object' && part !== null && typeof (part as { type?: unknown }).type === 'string')),
        defaultMessage: () => `$property must be a string or an array of at most ${MAX_PARTS} content parts`,
      },
    },
    options,
  );
}

/** The text of a content: its text parts joined (images, files and tool parts are not forwarded). */
export function contentText(content: TextContent): string {
  // Nested contents (an Anthropic tool_result's) were not checked part by part: anything may be in them.
  const text = (part: unknown) => (typeof part === 'object' && part !== null && typeof (part as { text?: unknown }).text === 'string' && /text/.test(String((part as { type?: unknown }).type)) ? (part as { text: string }).text : '');
  return typeof content === 'string' ? content : content.map(text).join('');
}
