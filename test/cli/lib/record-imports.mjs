// Registers a module resolve hook that appends every resolved URL to $RECORD_IMPORTS
// (one per line). Used by test/cli/cli-lazy.test.ts to see what a child process loaded.
import { register } from 'node:module';
register(new URL('./record-imports-hooks.mjs', import.meta.url));
