import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import aslValidator from 'asl-validator';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';

export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
export const LAMBDA_INVOKE_WAIT = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/**
 * The library times every Task out after 60 s unless told otherwise, and its timer overflows past ~24.8 days.
 * Each Task is given this value instead (below the overflow), so only the service's own deadlines apply.
 */
export const LIBRARY_TASK_TIMEOUT_SECONDS = 2_000_000;

/** Parameters key injected to carry TimeoutSecondsPath's value to the handler (read from the state input). */
export const TIMEOUT_PARAMETER = 'tollgate:timeoutSeconds';

const GOTO_PREFIX = 'tollgate:goto:';
const GOTO_RESOURCE = 'arn:aws:states:::tollgate:goto';

export class StateMachineDefinitionError extends Error {
  override name = 'StateMachineDefinitionError';
}

export interface LambdaTask {
  kind: 'invoke' | 'wait';
  /** A state of the top-level `States`, whose waits survive a restart with their token. */
  topLevel: boolean;
  timeout: { seconds: number } | { fromPath: string } | undefined;
}

export interface LoadedStateMachine {
  name: string;
  arn: string;
  createdAt: number;
  /** The definition as it runs here (placeholders substituted): what an execution keeps for its whole life. */
  definition: string;
  /** SHA-256 of `definition`, hex: the version an execution started with. */
  definitionHash: string;
  startAt: string;
  /** Execution-level TimeoutSeconds, enforced by the service as an absolute deadline. */
  timeoutSeconds: number | undefined;
  /** What the library runs: top-level transitions end the run at a goto task, timeouts neutralised. */
  libraryDefinition: StateMachineDefinition;
  lambdaTasks: Map<string, LambdaTask>;
  /** The `Type` of each top-level state, for the history's `<Type>StateEntered` events. */
  stateTypes: Map<string, string>;
  /** Goto task name → the top-level state it stands for. */
  gotos: Map<string, string>;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type AslObject = { [key: string]: Json };

export async function loadStateMachine(
  name: string,
  definitionPath: string,
  substitutions: Record<string, string>,
  arn: string,
): Promise<LoadedStateMachine> {
  const text = substitute(await readFile(definitionPath, 'utf8'), substitutions, definitionPath);
  return loadDefinition(name, text, arn, definitionPath);
}

/** Loads a definition whose placeholders are already substituted; `source` names it in errors. */
export function loadDefinition(name: string, text: string, arn: string, source: string): LoadedStateMachine {
  const definitionPath = source;
  let definition: AslObject;
  try {
    definition = JSON.parse(text) as AslObject;
  } catch (error) {
    throw new StateMachineDefinitionError(`${definitionPath} is not valid JSON: ${(error as Error).message}`);
  }
  refuseJsonata(definition, definitionPath);
  // asl-validator writes a QueryLanguage into every state it visits: give it a copy.
  const validation = aslValidator(structuredClone(definition), { checkArn: true, checkPaths: true });
  if (!validation.isValid) {
    throw new StateMachineDefinitionError(
      `${definitionPath} is not valid ASL:\n${validation.errorsText('\n')}`,
    );
  }

  const lambdaTasks = new Map<string, LambdaTask>();
  const library = structuredClone(definition);
  const topStates = library.States as Record<string, AslObject>;
  rewriteStates(topStates, true, lambdaTasks, definitionPath);
  const gotos = new Map<string, string>();
  for (const state of Object.values(topStates)) {
    redirectTransitions(state, gotos);
  }
  for (const [gotoName] of gotos) {
    topStates[gotoName] = {
      Type: 'Task',
      Resource: GOTO_RESOURCE,
      TimeoutSeconds: LIBRARY_TASK_TIMEOUT_SECONDS,
      End: true,
    };
  }
  const timeoutSeconds = definition.TimeoutSeconds;
  delete library.TimeoutSeconds;

  return {
    name,
    arn,
    createdAt: Date.now(),
    definition: text,
    definitionHash: createHash('sha256').update(text).digest('hex'),
    startAt: definition.StartAt as string,
    timeoutSeconds: typeof timeoutSeconds === 'number' ? timeoutSeconds : undefined,
    libraryDefinition: library as unknown as StateMachineDefinition,
    lambdaTasks,
    stateTypes: new Map(
      Object.entries(definition.States as Record<string, AslObject>).map(([stateName, state]) => [
        stateName,
        String(state.Type),
      ]),
    ),
    gotos,
  };
}

function substitute(text: string, substitutions: Record<string, string>, path: string): string {
  const unknown = new Set<string>();
  const result = text.replace(/\$\{([^}]*)\}/g, (placeholder, key: string) => {
    if (!Object.hasOwn(substitutions, key)) {
      unknown.add(key);
      return placeholder;
    }
    return substitutions[key] as string;
  });
  if (unknown.size > 0) {
    throw new StateMachineDefinitionError(
      `${path} uses placeholders without a substitution: ${[...unknown].map((key) => `\${${key}}`).join(', ')}`,
    );
  }
  return result;
}

// The library ignores Output, Arguments and Assign under JSONata and runs such a machine wrongly without an error.
function refuseJsonata(value: Json, path: string): void {
  if (Array.isArray(value)) {
    for (const item of value) refuseJsonata(item, path);
  } else if (value !== null && typeof value === 'object') {
    if (value.QueryLanguage === 'JSONata') {
      throw new StateMachineDefinitionError(
        `${path} uses QueryLanguage "JSONata", which the local Step Functions cannot run: write it in JSONPath`,
      );
    }
    for (const item of Object.values(value)) refuseJsonata(item, path);
  }
}

function rewriteStates(
  states: Record<string, AslObject>,
  topLevel: boolean,
  lambdaTasks: Map<string, LambdaTask>,
  path: string,
): void {
  for (const [stateName, state] of Object.entries(states)) {
    if ('Assign' in state) {
      throw new StateMachineDefinitionError(
        `${path}: state "${stateName}" uses Assign, which runs wrongly locally`,
      );
    }
    if (state.Type === 'Task') {
      lambdaTasks.set(stateName, rewriteTask(stateName, state, topLevel, path));
    }
    const nested = [
      ...((state.Branches as AslObject[] | undefined) ?? []),
      ...[state.Iterator, state.ItemProcessor].filter((machine): machine is AslObject => !!machine),
    ];
    for (const machine of nested) {
      rewriteStates(machine.States as Record<string, AslObject>, false, lambdaTasks, path);
    }
  }
}

function rewriteTask(stateName: string, state: AslObject, topLevel: boolean, path: string): LambdaTask {
  const where = `${path}: Task "${stateName}"`;
  if (state.Resource !== LAMBDA_INVOKE && state.Resource !== LAMBDA_INVOKE_WAIT) {
    throw new StateMachineDefinitionError(
      `${where} uses Resource ${JSON.stringify(state.Resource)}; locally only ${LAMBDA_INVOKE} and ${LAMBDA_INVOKE_WAIT} run`,
    );
  }
  if ('HeartbeatSeconds' in state || 'HeartbeatSecondsPath' in state) {
    throw new StateMachineDefinitionError(
      `${where} sets a heartbeat, which the local Step Functions does not enforce`,
    );
  }
  const parameters = state.Parameters;
  if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters)) {
    throw new StateMachineDefinitionError(`${where} needs Parameters with FunctionName and Payload`);
  }
  let timeout: LambdaTask['timeout'];
  if (typeof state.TimeoutSeconds === 'number') {
    timeout = { seconds: state.TimeoutSeconds };
  } else if (typeof state.TimeoutSecondsPath === 'string') {
    timeout = { fromPath: state.TimeoutSecondsPath };
    parameters[`${TIMEOUT_PARAMETER}.$`] = state.TimeoutSecondsPath;
  }
  delete state.TimeoutSecondsPath;
  state.TimeoutSeconds = LIBRARY_TASK_TIMEOUT_SECONDS;
  return { kind: state.Resource === LAMBDA_INVOKE_WAIT ? 'wait' : 'invoke', topLevel, timeout };
}

/** Points every top-level transition at a goto task, so that each library run covers one top-level state. */
function redirectTransitions(state: AslObject, gotos: Map<string, string>): void {
  const redirect = (holder: AslObject, key: string) => {
    const target = holder[key];
    if (typeof target === 'string') {
      const gotoName = `${GOTO_PREFIX}${target}`;
      gotos.set(gotoName, target);
      holder[key] = gotoName;
    }
  };
  redirect(state, 'Next');
  redirect(state, 'Default');
  for (const holder of [...((state.Choices as AslObject[]) ?? []), ...((state.Catch as AslObject[]) ?? [])]) {
    redirect(holder, 'Next');
  }
}
