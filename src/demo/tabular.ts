/**
 * The demo's table: facts an organiser would list for an event.
 *
 * Designed ambiguity: the table tells a LECTURE from a big show, but not which big show.
 * Lectures are small, cheap, often free, held in auditoriums and on campuses; concerts and
 * sports matches draw from ONE shared "big event" distribution (crowds of thousands, paid
 * tickets, arenas and stadiums), so no column — nor any combination — tells them apart.
 * Alone the table is therefore worth about 2/3 accuracy (lecture right, the rest a coin toss).
 *
 * The two profiles overlap a little (a large lecture, a small club gig) so no single column
 * is a perfect rule, and `weekday` and `temperature_c` are pure noise: the same for every class.
 */
import type { Random } from "../util/random.js";

export const EVENT_CLASSES = ["concert", "lecture", "sports"] as const;
export type EventClass = (typeof EVENT_CLASSES)[number];

export const VENUE_TYPES = ["arena", "hall", "stadium", "auditorium", "club", "campus"] as const;
export type VenueType = (typeof VENUE_TYPES)[number];

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

/** One row's table cells; null is an empty cell (the form left blank). */
export interface TabularFacts {
  attendees: number | null;
  duration_h: number | null;
  budget_k: number | null;
  ticket_price: number | null;
  venue_type: VenueType;
  weekday: (typeof WEEKDAYS)[number];
  temperature_c: number | null;
}

/** The table's columns, in CSV order. */
export const TABULAR_COLUMNS = [
  "attendees", "duration_h", "budget_k", "ticket_price", "venue_type", "weekday", "temperature_c",
] as const satisfies readonly (keyof TabularFacts)[];

/** Share of numeric cells left empty, so the demo exercises modalfuse's missing indicators. */
const BLANK_CELL_RATE = 0.02;

const BIG_EVENT_VENUES: readonly (readonly [VenueType, number])[] = [
  ["arena", 0.3], ["stadium", 0.25], ["hall", 0.2], ["club", 0.15], ["auditorium", 0.05], ["campus", 0.05],
];
const LECTURE_VENUES: readonly (readonly [VenueType, number])[] = [
  ["auditorium", 0.4], ["campus", 0.3], ["hall", 0.2], ["club", 0.05], ["arena", 0.05],
];

export function drawTabular(event: EventClass, rng: Random): TabularFacts {
  // Concert and sports deliberately share this branch: the table must not separate them.
  const lecture = event === "lecture";
  const attendees = lecture
    ? clamp(Math.round(rng.logNormal(110, 0.65)), 8, 1500)
    : clamp(Math.round(rng.logNormal(3500, 1.0)), 120, 80000);
  const ticket = lecture
    ? (rng.chance(0.65) ? 0 : rng.uniform(2, 25))
    : rng.uniform(15, 140);
  const durationH = lecture ? rng.uniform(0.75, 2.5) : rng.uniform(1.5, 4);
  // A budget scales with the crowd, with a wide per-event spread.
  const budgetK = lecture
    ? rng.uniform(0.3, 12) + attendees * 0.01
    : attendees * rng.uniform(0.02, 0.08) + rng.uniform(5, 60);
  return {
    attendees: blankSometimes(attendees, rng),
    duration_h: blankSometimes(round(durationH, 2), rng),
    budget_k: blankSometimes(round(budgetK, 1), rng),
    ticket_price: blankSometimes(round(ticket, 2), rng),
    venue_type: rng.weighted(lecture ? LECTURE_VENUES : BIG_EVENT_VENUES),
    weekday: rng.pick(WEEKDAYS),
    temperature_c: blankSometimes(round(rng.uniform(-5, 32), 1), rng),
  };
}

function blankSometimes(value: number, rng: Random): number | null {
  return rng.chance(BLANK_CELL_RATE) ? null : value;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
