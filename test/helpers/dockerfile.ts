import { readFileSync } from 'node:fs';

export interface DockerInstruction {
  keyword: string;
  /** The rest of the line, flags included. */
  args: string;
}

export interface DockerStage {
  name: string;
  instructions: DockerInstruction[];
}

/** The stages of a Dockerfile, in order, with their instructions (comments dropped, `\` continuations joined). */
export function readDockerfile(path: string): DockerStage[] {
  const lines = readFileSync(path, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: DockerStage[] = [];
  for (const line of lines) {
    const [, keyword, args] = /^(\S+)\s+(.*)$/.exec(line) ?? [];
    if (!keyword || args === undefined) throw new Error(`${path}: cannot read "${line}"`);
    const instruction = { keyword: keyword.toUpperCase(), args };
    if (instruction.keyword === 'FROM') stages.push({ name: / AS (\S+)$/i.exec(args)?.[1] ?? String(stages.length), instructions: [] });
    else if (stages.length > 0) stages.at(-1)!.instructions.push(instruction);
    else if (instruction.keyword !== 'ARG') throw new Error(`${path}: ${keyword} before the first FROM`);
  }
  return stages;
}

/** The exec form of CMD or HEALTHCHECK's command: a JSON array; the shell form is refused (signals would reach sh). */
export function execForm(args: string): string[] {
  const json = args.slice(args.indexOf('['));
  const argv = JSON.parse(json) as unknown;
  if (!Array.isArray(argv) || !argv.every((item) => typeof item === 'string')) throw new Error(`not an exec-form command: ${args}`);
  return argv as string[];
}

/** `ENV NAME=value` (one or more pairs, no quotes needed here) as a record. */
export function envPairs(args: string): Record<string, string> {
  return Object.fromEntries(args.split(/\s+/).map((pair) => {
    const separator = pair.indexOf('=');
    if (separator < 1) throw new Error(`ENV without NAME=value: ${args}`);
    return [pair.slice(0, separator), pair.slice(separator + 1)];
  }));
}
