export { HealthMonitor, describeTarget, STUCK_GRACE_MS } from './monitor.js';
export type { HealthMonitorOptions, HealthStatus, CheckStatus, CheckEvent } from './monitor.js';
export { HealthMachine } from './machine.js';
export type { MachineOptions, MachineSnapshot, MachineCheck } from './machine.js';
export { createRunner, runDeadlineMs } from './checks/index.js';
export type { Cause, CheckResult, CheckRunner, CheckState, HealthState, Transition, Verdict } from './types.js';
