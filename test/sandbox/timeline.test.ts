/** The sandbox in time: the clock moves forward with new activity, and reports cover it as the API's do. */
import { describe, expect, it } from 'vitest';
import { startSandbox, World } from '../../src/sandbox/index.js';

const DAY = 86_400_000;

function worldWithActivity() {
  const world = new World({ seed: 91, contacts: 300, reports: 400, reportDays: 200 });
  const before = Array.from({ length: 300 }, (_, i) => world.expectedMessages(i, { from: 0, to: world.now }));
  const beforeReports = world.reports().length;
  // A contact whose attendance opened about a week ago is still open, and one whose activity is bot-only.
  const open = Array.from({ length: 300 }, (_, i) => i).find((i) => {
    const r = world.openAttendanceOf(i);
    return r && world.origin - Date.parse(String(r['created_at'])) > 5 * DAY;
  })!;
  const outside = Array.from({ length: 300 }, (_, i) => i).find(
    (i) => world.openAttendanceOf(i) === undefined && world.timeline.kindOf(i, false) === 'outside',
  )!;
  const origin = world.now;
  world.advance(1, 0.02, [open, outside]);
  return { world, before, beforeReports, open, outside, origin };
}

describe('the sandbox in time', () => {
  it('moves the clock; new messages come only to the active contacts, after the old present', () => {
    const { world, before, origin, open, outside } = worldWithActivity();
    expect(world.now).toBe(origin + DAY);
    const active: number[] = [];
    for (let i = 0; i < 300; i++) {
      const all = world.expectedMessages(i, { from: 0, to: world.now });
      const fresh = world.expectedMessages(i, { from: origin, to: world.now });
      // What was there stays as it was.
      expect(world.expectedMessages(i, { from: 0, to: origin }), `contact ${i}`).toEqual(before[i]);
      expect(all.length).toBe(before[i]!.length + fresh.length);
      if (fresh.length) active.push(i);
    }
    expect(active).toEqual(expect.arrayContaining([open, outside]));
    expect(active.length).toBeGreaterThanOrEqual(4);
    expect(active.length).toBeLessThan(20);
  });

  it('covers new activity with attendances whose counters agree; bot-only activity has none', () => {
    const { world, origin, open, outside, beforeReports } = worldWithActivity();
    const day = (at: number) => new Date(at).toISOString().slice(0, 10);
    const recent = world.reportsBetween(day(origin), day(world.now));
    for (let i = 0; i < 300; i++) {
      const fresh = world.expectedMessages(i, { from: origin, to: world.now });
      if (fresh.length === 0 || i === open || i === outside) continue;
      const mine = recent.filter((r) => (r['customer'] as { id: string }).id === world.contactId(i));
      expect(mine, `contact ${i}`).toHaveLength(1);
      const report = mine[0]!;
      expect(report['closed']).toBe(true);
      expect(Date.parse(String(report['opened_at']))).toBeLessThanOrEqual(
        Date.parse(fresh.at(-1)!.created_at),
      );
      expect(report['total_receive_messages']).toBe(fresh.filter((m) => m.sent_by === 'customer').length);
      expect(report['total_send_messages']).toBe(fresh.filter((m) => m.sent_by === 'operator').length);
    }
    const mention = (i: number) => (r: Record<string, unknown>) =>
      (r['customer'] as { id: string } | null)?.id === world.contactId(i);
    expect(recent.filter(mention(outside))).toEqual([]);
    expect(recent.filter(mention(open))).toEqual([]);
    expect(
      world.expectedMessages(outside, { from: origin, to: world.now }).every((m) => m.sent_by === 'bot'),
    ).toBe(true);
    // The open attendance, opened days ago, grew and is still open.
    const still = world.openAttendanceOf(open)!;
    const now = world.reports().find((r) => r['id'] === still['id'])!;
    expect(now['closed']).toBe(false);
    const added = world.expectedMessages(open, { from: origin, to: world.now });
    expect(Number(now['total_receive_messages']) + Number(now['total_send_messages'])).toBe(
      Number(still['total_receive_messages']) + Number(still['total_send_messages']) + added.length,
    );
    expect(world.reports().length).toBeGreaterThan(beforeReports);
  });
});

describe('status filter on reports', () => {
  it('status=opened lists the attendances still open, status=closed the others', async () => {
    const sb = await startSandbox({ world: { seed: 92, contacts: 50, reports: 120 }, requestsPerMinute: 0 });
    try {
      const day = (at: number) => new Date(at).toISOString().slice(0, 10);
      const ask = async (status: string) => {
        const url = `${sb.url}/v4/reports?start_date=${day(sb.world.now - 89 * DAY)}&end_date=${day(sb.world.now)}&limit=49&status=${status}`;
        const body = (await (
          await fetch(url, { headers: { Authorization: `Bearer ${sb.token}` } })
        ).json()) as {
          docs: { closed: boolean }[];
          total: number;
        };
        return body;
      };
      const opened = await ask('opened');
      const closed = await ask('closed');
      expect(opened.total).toBeGreaterThan(0);
      expect(opened.docs.every((r) => r.closed === false)).toBe(true);
      expect(closed.docs.every((r) => r.closed === true)).toBe(true);
      expect(opened.total + closed.total).toBe(
        sb.world.reportsBetween(day(sb.world.now - 89 * DAY), day(sb.world.now)).length,
      );
    } finally {
      await sb.close();
    }
  });
});
