// The demo's design, measured in the files it writes: each modality separates one class
// from the other two and is blind between those two, so only fusion can name all three.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { decodeAudio } from "../../src/data/audio/audio.js";
import { decodeImage } from "../../src/data/image/image.js";
import { makeDemoDataset } from "../../src/demo/dataset.js";
import { bestThresholdAccuracy, greenFraction, mean, readManifest, tonalFrameShare } from "./demo-stats.js";

type Event = "concert" | "lecture" | "sports";
const EVENTS: Event[] = ["concert", "lecture", "sports"];

let dir = "";
let rows: Record<string, string>[] = [];
/** Per class: a statistic per row that has a decodable file. */
const green: Record<Event, number[]> = { concert: [], lecture: [], sports: [] };
const tonal: Record<Event, number[]> = { concert: [], lecture: [], sports: [] };
/** The same statistics by event id. */
const stats = new Map<string, { green?: number; tonal?: number }>();

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "modalfuse-demo-"));
  const summary = await makeDemoDataset(dir, { samples: 90, seed: 5 });
  rows = readManifest(summary.manifest).rows;
  for (const row of rows) {
    const event = row.event as Event;
    // The sizes modalfuse uses: a small picture, a 1.5 s clip at 16 kHz.
    if (row.photo) {
      const pixels = await decodeImage(join(dir, row.photo), { height: 32, width: 32 }).catch(() => null);
      if (pixels) {
        green[event].push(greenFraction(pixels, 32 * 32));
        stats.set(row.event_id!, { ...stats.get(row.event_id!), green: green[event].at(-1)! });
      }
    }
    if (row.recording) {
      const samples = await decodeAudio(join(dir, row.recording), { sampleRate: 16000, seconds: 1.5 }).catch(() => null);
      if (samples) {
        tonal[event].push(tonalFrameShare(samples, 16000));
        stats.set(row.event_id!, { ...stats.get(row.event_id!), tonal: tonal[event].at(-1)! });
      }
    }
  }
});

after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A plain rule on the table: a small or cheap event is a lecture. */
function isSmallCheapEvent(row: Record<string, string>): boolean {
  return (row.attendees !== "" && Number(row.attendees) < 700) || (row.ticket_price !== "" && Number(row.ticket_price) < 12);
}

const numbers = (event: Event, column: string): number[] =>
  rows.filter((row) => row.event === event && row[column] !== "").map((row) => Number(row[column]));

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

test("the table tells lectures from the rest, but concerts and matches share their distributions", () => {
  const rule = isSmallCheapEvent;
  const right = rows.filter((row) => rule(row) === (row.event === "lecture")).length;
  assert.ok(right / rows.length >= 0.93, `lecture rule right on ${right} of ${rows.length}`);

  const show = rows.filter((row) => row.event !== "lecture");
  const concertsCalledLecture = show.filter((row) => row.event === "concert" && rule(row)).length;
  const matchesCalledLecture = show.filter((row) => row.event === "sports" && rule(row)).length;
  assert.ok(Math.abs(concertsCalledLecture - matchesCalledLecture) <= 2);
  for (const column of ["attendees", "ticket_price", "budget_k", "duration_h"]) {
    const concert = median(numbers("concert", column));
    const sports = median(numbers("sports", column));
    const lecture = median(numbers("lecture", column));
    assert.ok(concert / sports > 0.6 && concert / sports < 1.6, `${column}: concert ${concert}, sports ${sports}`);
    assert.ok(lecture < 0.8 * Math.min(concert, sports), `${column}: lecture ${lecture}`);
    assert.ok(bestThresholdAccuracy(numbers("concert", column), numbers("sports", column)) < 0.75, column);
  }
});

test("pictures tell sports from the rest by the pitch's green, but not concerts from lectures", () => {
  const rest = [...green.concert, ...green.lecture];
  assert.ok(Math.min(...green.sports) > 0.3, `least green pitch: ${Math.min(...green.sports)}`);
  assert.ok(Math.max(...rest) < 0.15, `greenest stage: ${Math.max(...rest)}`);
  assert.equal(bestThresholdAccuracy(green.sports, rest), 1);
  assert.ok(Math.abs(mean(green.concert) - mean(green.lecture)) < 0.02);
  assert.ok(bestThresholdAccuracy(green.concert, green.lecture) < 0.75);
});

test("recordings tell concerts (music) from the rest, but not lectures from matches (both talk)", () => {
  const rest = [...tonal.lecture, ...tonal.sports];
  assert.ok(mean(tonal.concert) > mean(rest) + 0.25, `concert ${mean(tonal.concert)}, rest ${mean(rest)}`);
  assert.ok(bestThresholdAccuracy(tonal.concert, rest) >= 0.9);
  assert.ok(Math.abs(mean(tonal.lecture) - mean(tonal.sports)) < 0.08, `lecture ${mean(tonal.lecture)}, sports ${mean(tonal.sports)}`);
  assert.ok(bestThresholdAccuracy(tonal.lecture, tonal.sports) < 0.75);
});

test("any two modalities together name the event", () => {
  const rest = [...tonal.lecture, ...tonal.sports];
  const musicThreshold = (mean(tonal.concert) + mean(rest)) / 2;
  const cues = rows.map((row) => ({
    event: row.event as Event,
    lecture: isSmallCheapEvent(row),
    pitch: stats.get(row.event_id!)?.green === undefined ? undefined : stats.get(row.event_id!)!.green! > 0.3,
    music: stats.get(row.event_id!)?.tonal === undefined ? undefined : stats.get(row.event_id!)!.tonal! > musicThreshold,
  }));
  // Each pair settles its one open question with the cue of the third class's modality.
  const pairs: Record<string, (c: (typeof cues)[number]) => Event | undefined> = {
    "table+picture": (c) => c.pitch === undefined ? undefined : c.lecture ? "lecture" : c.pitch ? "sports" : "concert",
    "table+recording": (c) => c.music === undefined ? undefined : c.lecture ? "lecture" : c.music ? "concert" : "sports",
    "picture+recording": (c) => c.pitch === undefined || c.music === undefined ? undefined : c.pitch ? "sports" : c.music ? "concert" : "lecture",
  };
  for (const [pair, predict] of Object.entries(pairs)) {
    const judged = cues.filter((c) => predict(c) !== undefined);
    const right = judged.filter((c) => predict(c) === c.event).length;
    assert.ok(judged.length > 60, pair);
    assert.ok(right / judged.length >= 0.9, `${pair}: ${right} of ${judged.length}`);
  }
  for (const event of EVENTS) assert.ok(green[event].length > 20 && tonal[event].length > 20, event);
});
