// A small manifest unlike the demo: other column names, every image and audio format,
// several sample rates, empty cells, absent files and corrupt files.
import { join } from "node:path";
import { useFixture, writeCsv } from "./cli.js";

const GOOD_IMAGES = ["image/red_blue.png", "image/red_blue.jpg", "image/animated.gif", "image/red_blue.webp", "image/red_blue.tif", "image/cmyk.jpg", "image/gray16.png", "image/palette.png", "image/rgba.png"];
const GOOD_AUDIO = ["audio/tone440_pcm16_mono_16k.wav", "audio/tone1k_stereo_44k.mp3", "audio/tone1k_stereo_44k.ogg", "audio/tone440_s24_mono_48k.flac", "audio/tone440_u8_mono_8k.wav", "audio/three_channel_8k.wav", "audio/tone440_mono_22k.mp3"];

export interface ExpectedIssue {
  row: number;
  column: string;
  problem: RegExp;
}

export interface Clinic {
  manifest: string;
  header: string[];
  rows: (string | number)[][];
  issues: ExpectedIssue[];
  /** Rows whose files are corrupt (present but unreadable). */
  brokenRows: number[];
}

export const CLINIC_COLUMNS = { id: "patient", label: "diagnosis", numeric: ["lab_a", "lab_b"], categorical: ["site"], image: "scan", audio: "voice" };

/** Writes dir/clinic.csv and its media; `rows` rows, labels alternating healthy/ill. */
export function writeClinic(dir: string, rowCount = 40): Clinic {
  const header = ["patient", "lab_a", "lab_b", "site", "scan", "voice", "diagnosis"];
  const rows: (string | number)[][] = [];
  const issues: ExpectedIssue[] = [];
  const brokenRows: number[] = [];
  for (let i = 0; i < rowCount; i++) {
    const ill = i % 2 === 1;
    let scan = useFixture(dir, GOOD_IMAGES[i % GOOD_IMAGES.length] as string, `scan${i}${(GOOD_IMAGES[i % GOOD_IMAGES.length] as string).slice(-4)}`);
    let voice = useFixture(dir, GOOD_AUDIO[i % GOOD_AUDIO.length] as string, `voice${i}${(GOOD_AUDIO[i % GOOD_AUDIO.length] as string).slice(-4)}`);
    let labA: string | number = (ill ? 5 : 1) + (i % 7) * 0.1;
    if (i === 3) labA = "n/a";
    if (i === 4) {
      labA = "inf";
      issues.push({ row: i, column: "lab_a", problem: /not a number \(inf\): counted as missing/ });
    }
    if (i === 5) {
      labA = "high";
      issues.push({ row: i, column: "lab_a", problem: /not a number \(high\): counted as missing/ });
    }
    if (i === 6) scan = "";
    if (i === 7) voice = "";
    if (i === 8) {
      scan = "media/absent.png";
      issues.push({ row: i, column: "scan", problem: /file not found/ });
    }
    if (i === 9) {
      scan = useFixture(dir, "broken/truncated.png", "broken9.png");
      issues.push({ row: i, column: "scan", problem: /truncated/ });
      brokenRows.push(i);
    }
    if (i === 10) {
      voice = useFixture(dir, "broken/text.wav", "broken10.wav");
      issues.push({ row: i, column: "voice", problem: /not audio/ });
      brokenRows.push(i);
    }
    if (i === 11) {
      voice = useFixture(dir, "broken/truncated.mp3", "broken11.mp3");
      issues.push({ row: i, column: "voice", problem: /truncated|corrupt/ });
      brokenRows.push(i);
    }
    rows.push([`p${String(i).padStart(3, "0")}`, labA, (i * 37) % 11, ["north", "south", "east"][i % 3] as string, scan, voice, ill ? "ill" : "healthy"]);
  }
  const manifest = join(dir, "clinic.csv");
  writeCsv(manifest, header, rows);
  return { manifest, header, rows, issues, brokenRows };
}

export function clinicConfig(manifest: string, extra = ""): string {
  return `data:
  train: ${manifest}
  split: {validation: 0.2, test: 0.2, seed: 1}
  label: diagnosis
  id: patient
  tabular: {numeric: [lab_a, lab_b], categorical: [site]}
  image: {column: scan, size: 16}
  audio: {column: voice, sample_rate: 8000, seconds: 0.5, n_mels: 16}
${extra}model: {preset: standard, features: 16}
train: {epochs: 2, batch_size: 8, seed: 0}
`;
}
