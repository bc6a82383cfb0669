export {
  startSandbox,
  type Sandbox,
  type SandboxOptions,
  type FaultOptions,
  type Counters,
} from './server.js';
export { World, type WorldOptions, type HistoryMessage, type DateWindow } from './world.js';
export { QUIRKS } from './quirks.js';
