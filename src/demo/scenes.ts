/**
 * The demo's pictures, drawn as SVG.
 *
 * Designed ambiguity: a picture tells a SPORTS match from an indoor show, but not which show.
 * Concerts and lectures are drawn by ONE function from ONE distribution — a dark hall with a
 * stage, maybe a screen, a podium or lectern, speakers, spotlights, people on stage and rows
 * of seated heads — so a picture alone cannot separate them. A sports match is a green pitch
 * with white lines, goals, players in two team colours and stands of spectators.
 *
 * The indoor palette avoids green hues on purpose: the pitch's green is the large, obvious
 * cue a small CNN at 32–64 px picks up; everything else varies (size, colours, layout, counts)
 * so no single pixel or position gives a class away.
 */
import type { Random } from "../util/random.js";

export type SceneKind = "indoor-stage" | "sports-pitch";

/** An SVG document of the given size. */
export function drawScene(kind: SceneKind, width: number, height: number, rng: Random): string {
  const body = kind === "sports-pitch" ? drawPitch(width, height, rng) : drawStage(width, height, rng);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${body.join("")}</svg>`;
}

/** Shared by concerts and lectures: nothing here may depend on which of the two it is. */
function drawStage(w: number, h: number, rng: Random): string[] {
  const parts: string[] = [];
  parts.push(rect(0, 0, w, h, hsl(nonGreenHue(rng), rng.uniform(15, 55), rng.uniform(6, 26))));
  if (rng.chance(0.5)) {
    // A curtain behind the stage, drawn as vertical folds.
    const hue = nonGreenHue(rng);
    const folds = rng.int(6, 14);
    for (let i = 0; i < folds; i++) {
      parts.push(rect((i * w) / folds, 0, w / folds + 0.5, h * 0.62, hsl(hue, rng.uniform(35, 70), rng.uniform(14, 30))));
    }
  }
  const stageTop = h * rng.uniform(0.52, 0.66);
  if (rng.chance(0.75)) {
    // A projection screen or LED wall with slide lines or a shape on it.
    const sw = w * rng.uniform(0.28, 0.55);
    const sh = h * rng.uniform(0.18, 0.3);
    const sx = rng.uniform(0.05 * w, w - sw - 0.05 * w);
    const sy = h * rng.uniform(0.05, 0.18);
    parts.push(rect(sx, sy, sw, sh, hsl(nonGreenHue(rng), rng.uniform(5, 40), rng.uniform(70, 94))));
    if (rng.chance(0.5)) {
      const lines = rng.int(2, 5);
      for (let i = 0; i < lines; i++) {
        parts.push(rect(sx + sw * 0.1, sy + sh * (0.15 + (0.7 * i) / lines), sw * rng.uniform(0.4, 0.8), Math.max(1, sh * 0.06), hsl(nonGreenHue(rng), 30, rng.uniform(15, 40))));
      }
    } else {
      parts.push(`<circle cx="${f(sx + sw * rng.uniform(0.3, 0.7))}" cy="${f(sy + sh / 2)}" r="${f(sh * rng.uniform(0.2, 0.4))}" fill="${hsl(nonGreenHue(rng), rng.uniform(40, 80), rng.uniform(35, 60))}"/>`);
    }
  }
  // Spotlights: translucent cones from the ceiling onto the stage.
  const spots = rng.int(0, 5);
  for (let i = 0; i < spots; i++) {
    const top = rng.uniform(0, w);
    const foot = rng.uniform(0.1 * w, 0.9 * w);
    const spread = w * rng.uniform(0.06, 0.16);
    const colour = hsl(nonGreenHue(rng), rng.uniform(30, 100), rng.uniform(60, 85));
    parts.push(`<polygon points="${f(top - 2)},0 ${f(top + 2)},0 ${f(foot + spread)},${f(stageTop)} ${f(foot - spread)},${f(stageTop)}" fill="${colour}" fill-opacity="${f(rng.uniform(0.15, 0.4))}"/>`);
    parts.push(`<circle cx="${f(top)}" cy="2" r="${f(rng.uniform(2, 4))}" fill="${colour}"/>`);
  }
  // The stage front.
  const stageDepth = h * rng.uniform(0.06, 0.12);
  parts.push(rect(0, stageTop, w, stageDepth, hsl(rng.uniform(15, 40), rng.uniform(0, 50), rng.uniform(8, 35))));
  if (rng.chance(0.5)) {
    // Speaker boxes at the stage sides.
    const bw = w * rng.uniform(0.05, 0.09);
    const bh = h * rng.uniform(0.15, 0.25);
    for (const x of [w * 0.03, w * 0.97 - bw]) {
      parts.push(rect(x, stageTop - bh, bw, bh, hsl(0, 0, rng.uniform(5, 18))));
      parts.push(`<circle cx="${f(x + bw / 2)}" cy="${f(stageTop - bh * 0.3)}" r="${f(bw * 0.3)}" fill="${hsl(0, 0, 35)}"/>`);
    }
  }
  const people = rng.int(0, 3);
  for (let i = 0; i < people; i++) {
    parts.push(...person(rng.uniform(0.15 * w, 0.85 * w), stageTop, h * rng.uniform(0.18, 0.28), hsl(nonGreenHue(rng), rng.uniform(10, 70), rng.uniform(15, 55)), rng));
  }
  if (rng.chance(0.6)) {
    // A podium or lectern.
    const px = rng.uniform(0.2 * w, 0.8 * w);
    const pw = w * rng.uniform(0.07, 0.12);
    const ph = h * rng.uniform(0.12, 0.2);
    parts.push(`<polygon points="${f(px - pw / 2)},${f(stageTop - ph)} ${f(px + pw / 2)},${f(stageTop - ph)} ${f(px + pw * 0.38)},${f(stageTop)} ${f(px - pw * 0.38)},${f(stageTop)}" fill="${hsl(rng.uniform(15, 35), rng.uniform(20, 60), rng.uniform(12, 40))}"/>`);
    parts.push(`<line x1="${f(px)}" y1="${f(stageTop - ph)}" x2="${f(px + pw * 0.2)}" y2="${f(stageTop - ph * 1.4)}" stroke="#222" stroke-width="1"/>`);
  }
  // The seated audience: rows of heads, nearer rows larger and lower.
  const rows = rng.int(2, 5);
  const audienceTop = stageTop + stageDepth + h * 0.04;
  for (let r = 0; r < rows; r++) {
    const y = audienceTop + ((h - audienceTop) * (r + 0.5)) / rows;
    const radius = w * (0.018 + 0.012 * (r / Math.max(1, rows - 1))) * rng.uniform(0.85, 1.2);
    const seats = hsl(nonGreenHue(rng), rng.uniform(20, 60), rng.uniform(10, 30));
    parts.push(rect(0, y + radius * 0.8, w, radius * 2.2, seats));
    for (let x = rng.uniform(0, radius * 2); x < w; x += radius * rng.uniform(2.1, 3.2)) {
      parts.push(`<circle cx="${f(x)}" cy="${f(y + rng.uniform(-1, 1))}" r="${f(radius)}" fill="${headColour(rng)}"/>`);
    }
  }
  return parts;
}

function drawPitch(w: number, h: number, rng: Random): string[] {
  const parts: string[] = [];
  const pitchTop = h * rng.uniform(0.22, 0.45);
  // Sky (day or night) above the stands.
  parts.push(rect(0, 0, w, h, rng.chance(0.5) ? hsl(rng.uniform(195, 220), rng.uniform(40, 80), rng.uniform(60, 85)) : hsl(rng.uniform(220, 250), 40, rng.uniform(5, 18))));
  const standsTop = pitchTop * rng.uniform(0.0, 0.35);
  parts.push(rect(0, standsTop, w, pitchTop - standsTop, hsl(nonGreenHue(rng), rng.uniform(0, 40), rng.uniform(20, 50))));
  // Spectators in the stands: many small dots of any colour.
  const dot = Math.max(1, w * rng.uniform(0.008, 0.014));
  for (let y = standsTop + dot; y < pitchTop - dot; y += dot * rng.uniform(2, 2.8)) {
    for (let x = rng.uniform(0, dot * 2); x < w; x += dot * rng.uniform(2, 3.2)) {
      parts.push(`<circle cx="${f(x)}" cy="${f(y)}" r="${f(dot)}" fill="${hsl(rng.uniform(0, 360), rng.uniform(20, 80), rng.uniform(25, 75))}"/>`);
    }
  }
  if (rng.chance(0.5)) {
    // Floodlight masts.
    for (const x of [w * rng.uniform(0.05, 0.2), w * rng.uniform(0.8, 0.95)]) {
      parts.push(`<line x1="${f(x)}" y1="${f(pitchTop)}" x2="${f(x)}" y2="${f(h * 0.05)}" stroke="#777" stroke-width="1.5"/>`);
      parts.push(rect(x - w * 0.04, h * 0.02, w * 0.08, h * 0.05, hsl(55, 90, 90)));
    }
  }
  // The pitch, sometimes with mowing stripes.
  const hue = rng.uniform(85, 140);
  const sat = rng.uniform(35, 65);
  const light = rng.uniform(26, 44);
  parts.push(rect(0, pitchTop, w, h - pitchTop, hsl(hue, sat, light)));
  if (rng.chance(0.6)) {
    const stripes = rng.int(5, 10);
    const vertical = rng.chance(0.5);
    for (let i = 0; i < stripes; i += 2) {
      const colour = hsl(hue, sat, light + rng.uniform(4, 9));
      parts.push(vertical
        ? rect((i * w) / stripes, pitchTop, w / stripes, h - pitchTop, colour)
        : rect(0, pitchTop + (i * (h - pitchTop)) / stripes, w, (h - pitchTop) / stripes, colour));
    }
  }
  // White markings: touch lines, halfway line, centre circle.
  const line = `stroke="#f4f4f0" stroke-width="${f(rng.uniform(1, 2))}" fill="none"`;
  const inset = w * rng.uniform(0.03, 0.08);
  const top = pitchTop + (h - pitchTop) * 0.08;
  const bottom = h - (h - pitchTop) * 0.06;
  const mid = w / 2 + rng.uniform(-0.1, 0.1) * w;
  parts.push(`<rect x="${f(inset)}" y="${f(top)}" width="${f(w - 2 * inset)}" height="${f(bottom - top)}" ${line}/>`);
  parts.push(`<line x1="${f(mid)}" y1="${f(top)}" x2="${f(mid)}" y2="${f(bottom)}" ${line}/>`);
  parts.push(`<ellipse cx="${f(mid)}" cy="${f((top + bottom) / 2)}" rx="${f(w * 0.08)}" ry="${f((bottom - top) * 0.18)}" ${line}/>`);
  if (rng.chance(0.85)) {
    // Goals at both ends: posts and a net.
    const gh = (bottom - top) * rng.uniform(0.25, 0.4);
    const gw = w * rng.uniform(0.03, 0.05);
    const gy = (top + bottom) / 2 - gh / 2;
    for (const x of [inset - gw / 2, w - inset - gw / 2]) {
      parts.push(`<rect x="${f(x)}" y="${f(gy)}" width="${f(gw)}" height="${f(gh)}" fill="#dddddd" fill-opacity="0.35" stroke="#ffffff" stroke-width="1.5"/>`);
    }
  }
  const teamA = hsl(nonGreenHue(rng), rng.uniform(50, 90), rng.uniform(35, 60));
  const teamB = hsl(nonGreenHue(rng), rng.uniform(0, 90), rng.uniform(20, 90));
  const players = rng.int(3, 12);
  for (let i = 0; i < players; i++) {
    const y = rng.uniform(top + (bottom - top) * 0.2, bottom);
    const scale = 0.5 + (0.5 * (y - pitchTop)) / (h - pitchTop);
    parts.push(...person(rng.uniform(0.05 * w, 0.95 * w), y, h * 0.16 * scale, i % 2 === 0 ? teamA : teamB, rng));
  }
  parts.push(`<circle cx="${f(rng.uniform(0.1, 0.9) * w)}" cy="${f(rng.uniform(top, bottom))}" r="${f(Math.max(1, w * 0.01))}" fill="#fafafa"/>`);
  return parts;
}

/** A standing figure whose feet are at (x, feet): body, legs and a head. */
function person(x: number, feet: number, height: number, colour: string, rng: Random): string[] {
  const bodyW = height * 0.3;
  const head = height * 0.11;
  return [
    rect(x - bodyW * 0.35, feet - height * 0.45, bodyW * 0.7, height * 0.45, hsl(rng.uniform(200, 240), 20, rng.uniform(10, 30))),
    rect(x - bodyW / 2, feet - height * 0.78, bodyW, height * 0.38, colour),
    `<circle cx="${f(x)}" cy="${f(feet - height * 0.78 - head)}" r="${f(head)}" fill="${skin(rng)}"/>`,
  ];
}

function headColour(rng: Random): string {
  // Mostly hair seen from behind, sometimes a face turned round.
  return rng.chance(0.8) ? hsl(rng.uniform(15, 40), rng.uniform(10, 50), rng.uniform(5, 40)) : skin(rng);
}

function skin(rng: Random): string {
  return hsl(rng.uniform(18, 35), rng.uniform(30, 60), rng.uniform(30, 75));
}

/** Any hue except the greens (about 75–165°), which are the pitch's alone. */
function nonGreenHue(rng: Random): number {
  const hue = rng.uniform(0, 270);
  return hue < 75 ? hue : hue + 90;
}

function rect(x: number, y: number, width: number, height: number, fill: string): string {
  return `<rect x="${f(x)}" y="${f(y)}" width="${f(width)}" height="${f(height)}" fill="${fill}"/>`;
}

/** Numbers with two decimals: short SVG, and the same text on every platform. */
function f(value: number): string {
  return (Math.round(value * 100) / 100).toString();
}

/** hsl(hue°, saturation %, lightness %) as #rrggbb, computed here so no renderer's hsl() parsing matters. */
export function hsl(hue: number, saturation: number, lightness: number): string {
  const s = Math.min(100, Math.max(0, saturation)) / 100;
  const l = Math.min(100, Math.max(0, lightness)) / 100;
  const h = ((hue % 360) + 360) % 360;
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  const hex = (v: number): string => Math.round((v + m) * 255).toString(16).padStart(2, "0");
  return `#${hex(r)}${hex(g)}${hex(b)}`;
}
