export type { StartExecution } from './schedules';
export {
  type LocalSchedulerService,
  type LocalSchedulerServiceOptions,
  startLocalSchedulerService,
} from './service';
