/** The announcement model is the speaker's (src/speaker/types.ts); policy produces it. */
export type { Announcement } from '../speaker/types.js';
