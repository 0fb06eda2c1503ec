export { StateMachineDefinitionError } from './definition';
export {
  type LocalStateMachine,
  type LocalStepFunctions,
  type LocalStepFunctionsOptions,
  startLocalStepFunctions,
} from './service';
