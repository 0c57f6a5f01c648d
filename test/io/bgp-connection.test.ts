/**
 * BgpConnection on a real loopback socket pair whose far end does not read:
 * the user-space write queue is bounded ('overflow'), and write waiters
 * (whenWritten) fire in order, can be cancelled, and never outlive the
 * connection. Every wait is bounded.
 */
import t, { type Test } from 'tap';
import net from 'node:net';
import { BgpConnection } from '../../src/io/bgp-connection.js';
import { systemClock } from '../../src/util/clock.js';

/** A connected pair: `ours` wrapped in a BgpConnection, `theirs` paused (reads nothing). */
async function pair(t: Test, maxQueued: number): Promise<{ conn: BgpConnection; theirs: net.Socket }> {
  let theirs: net.Socket | undefined;
  const server = net.createServer({ pauseOnConnect: true }, (s) => {
    theirs = s;
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const ours = net.connect({ host: '127.0.0.1', port: (server.address() as net.AddressInfo).port });
  await new Promise<void>((resolve, reject) => {
    ours.once('connect', () => resolve());
    ours.once('error', reject);
  });
  for (let i = 0; i < 100 && !theirs; i++) await new Promise((r) => setTimeout(r, 10));
  if (!theirs) throw new Error('no accepted socket');
  const conn = new BgpConnection(ours, 'outgoing', systemClock, maxQueued);
  t.teardown(async () => {
    conn.close(false);
    theirs?.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { conn, theirs };
}

const CHUNK = new Uint8Array(64 * 1024);

/** Write until `stopWhen` holds, and still holds 100 ms later (the kernel took what it will); bounded. */
async function fill(conn: BgpConnection, stopWhen: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (stopWhen()) {
      await new Promise((r) => setTimeout(r, 100));
      if (stopWhen()) return;
    }
    conn.write(CHUNK);
    if (i % 16 === 15) await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('could not build a backlog');
}

t.test('a peer that never reads: overflow is reported once past the bound', async (t) => {
  const { conn } = await pair(t, 256 * 1024);
  const seen: number[] = [];
  conn.on('overflow', (q) => seen.push(q));
  await fill(conn, () => seen.length > 0);
  t.equal(seen.length, 1, 'overflow reported');
  t.ok(seen[0]! > 256 * 1024, `with the queued byte count (${seen[0]})`);
  conn.write(CHUNK);
  conn.write(CHUNK);
  t.equal(seen.length, 1, 'only once per connection');
  t.ok(conn.queuedBytes > 256 * 1024, 'queuedBytes shows the backlog');
});

t.test('whenWritten waits for the backlog, can be cancelled, and is released on close', async (t) => {
  const { conn, theirs } = await pair(t, 1 << 30);
  await fill(conn, () => conn.queuedBytes > 512 * 1024);
  t.ok(conn.queuedBytes > 0, 'backlog present');
  let fired = 0;
  let cancelledFired = 0;
  conn.whenWritten(() => fired++);
  const cancel = conn.whenWritten(() => cancelledFired++);
  cancel();
  await new Promise((r) => setTimeout(r, 100));
  t.equal(fired, 0, 'not while the peer reads nothing');
  theirs.resume();
  for (let i = 0; i < 300 && fired === 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(fired, 1, 'fires once the bytes before it were taken');
  t.equal(cancelledFired, 0, 'a cancelled waiter never fires');

  theirs.pause();
  await fill(conn, () => conn.queuedBytes > 512 * 1024);
  let onClose = 0;
  conn.whenWritten(() => onClose++);
  conn.close(false);
  t.equal(onClose, 1, 'released at once when the connection goes');
  let after = 0;
  conn.whenWritten(() => after++);
  t.equal(after, 1, 'a closed connection has nothing to wait for');
  t.equal(conn.queuedBytes, 0);
});
