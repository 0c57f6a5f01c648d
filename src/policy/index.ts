export { Policy, sameAnnouncements } from './policy.js';
export type { PolicyOptions, PolicyInput, PolicyChange, PolicyStatus, PolicyPhase } from './policy.js';
export type { Announcement } from './types.js';
