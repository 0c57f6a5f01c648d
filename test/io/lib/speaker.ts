/**
 * The Speaker set-up the loopback session tests share: AS 65001, BGP
 * Identifier 10.255.0.1, a silent logger unless LOG_LEVEL is set, stopped at
 * the end of the test and then the given test peers closed.
 */
import type { Test } from 'tap';
import { pino } from 'pino';
import { Speaker } from '../../../src/speaker/speaker.js';
import type { SpeakerOptions } from '../../../src/speaker/types.js';
import { ManualClock } from '../../../src/util/clock.js';

export const logger = pino({ level: process.env.LOG_LEVEL ?? 'silent' });

export type TestSpeakerOptions = Omit<SpeakerOptions, 'localAsn' | 'routerId' | 'logger'> & Partial<Pick<SpeakerOptions, 'logger'>>;

/**
 * A Speaker for `t`, torn down in order: the speaker stops (sending its
 * NOTIFICATIONs), then each of `closeAfter` closes. On a ManualClock the
 * stop's own 100 ms bound is advanced by hand; on real time it waits 200 ms.
 */
export function testSpeaker(t: Test, o: TestSpeakerOptions, ...closeAfter: Array<{ close(): Promise<void> }>): Speaker {
  const sp = new Speaker({ localAsn: 65001, routerId: '10.255.0.1', logger, ...o });
  const clock = o.clock;
  t.teardown(async () => {
    if (clock instanceof ManualClock) {
      const stopping = sp.stop({ timeoutMs: 100 });
      clock.advance(200);
      await stopping;
    } else {
      await sp.stop({ timeoutMs: 200 });
    }
    for (const c of closeAfter) await c.close();
  });
  return sp;
}
