/**
 * The demo's recordings, synthesised sample by sample.
 *
 * Designed ambiguity: a recording tells a CONCERT from the rest, but lectures and sports
 * matches sound alike. A concert is music — sustained harmonic chords, a bass line, often a
 * melody and a drum kit, steady in pitch for whole beats. Lectures and matches are both a
 * voice talking (a lecturer, a stadium announcer or commentator): syllables of a glottal
 * buzz shaped by vowel formants, gliding in pitch, in words separated by pauses. Every class
 * gets the same crowd murmur underneath and, with the same probabilities, a cheer or a
 * referee-like whistle, so neither cheering nor whistles give a match away.
 *
 * Everything discriminative lies between 50 Hz and 7.5 kHz and starts within the first
 * 0.15 s, so it survives modalfuse's default view of a clip: 1.5–2 s at 16 kHz, log-mel.
 */
import type { Random } from "../util/random.js";

export type SoundKind = "music" | "speech";

/** Probability of a cheer and of a whistle, the same for every class on purpose. */
export const CHEER_PROBABILITY = 0.3;
export const WHISTLE_PROBABILITY = 0.25;

/** A mono clip of `seconds` at `sampleRate`, peak-normalised to a random loudness. */
export function synthesizeRecording(kind: SoundKind, sampleRate: number, seconds: number, rng: Random): Float32Array {
  const n = Math.round(sampleRate * seconds);
  const main = kind === "music" ? music(n, sampleRate, rng) : speech(n, sampleRate, rng);
  normaliseRms(main, 1);
  const mix = crowd(n, sampleRate, rng);
  normaliseRms(mix, dbToGain(rng.uniform(-24, -10)));
  addInto(mix, main);
  if (rng.chance(CHEER_PROBABILITY)) addInto(mix, cheer(n, sampleRate, rng), dbToGain(rng.uniform(-8, -1)));
  if (rng.chance(WHISTLE_PROBABILITY)) addInto(mix, whistle(n, sampleRate, rng), dbToGain(rng.uniform(-10, -2)));
  normalisePeak(mix, rng.uniform(0.15, 0.9));
  return mix;
}

// ---- music -------------------------------------------------------------------------------

const MAJOR = [0, 2, 4, 5, 7, 9, 11];
const MINOR = [0, 2, 3, 5, 7, 8, 10];
const PROGRESSIONS = [[0, 4, 5, 3], [0, 3, 4, 0], [0, 5, 3, 4], [5, 3, 0, 4], [0, 2, 3, 4]];

function music(n: number, sr: number, rng: Random): Float32Array {
  const out = new Float32Array(n);
  const beat = 60 / rng.uniform(80, 150);
  const root = rng.int(45, 57); // A2..A3
  const scale = rng.chance(0.5) ? MAJOR : MINOR;
  const progression = rng.pick(PROGRESSIONS);
  const beatsPerChord = rng.pick([1, 2, 2]);
  const padTable = harmonicTable(rng.int(4, 8), rng.uniform(0.8, 2));
  const leadTable = harmonicTable(rng.int(3, 7), rng.uniform(0.5, 1.5));
  const bassTable = harmonicTable(4, 1.5);
  const note = (degree: number, octave: number): number => {
    const d = ((degree % 7) + 7) % 7;
    return root + 12 * (octave + Math.floor(degree / 7)) + scale[d]!;
  };

  // Chords (three sustained tones) and a bass note per chord.
  const chordSeconds = beat * beatsPerChord;
  for (let c = 0, t = 0; t < n / sr; c++, t += chordSeconds) {
    const degree = progression[c % progression.length]!;
    for (const step of [0, 2, 4]) {
      renderTone(out, sr, padTable, midiToHz(note(degree + step, 1)), t, chordSeconds, 0.25, 0.02, 0.6, rng);
    }
    renderTone(out, sr, bassTable, midiToHz(note(degree, -1)), t, chordSeconds, 0.35, 0.01, 0.4, rng);
  }
  if (rng.chance(0.8)) {
    // A melody over the chords, one note per beat or half beat.
    const step = beat * rng.pick([0.5, 1]);
    let degree = rng.int(0, 6);
    for (let t = 0; t < n / sr; t += step) {
      degree = Math.max(-2, Math.min(9, degree + rng.int(-2, 2)));
      renderTone(out, sr, leadTable, midiToHz(note(degree, 2)), t, step, 0.3, 0.01, 0.3, rng, 5);
    }
  }
  if (rng.chance(0.75)) drums(out, sr, beat, rng);
  return out;
}

/** One period of a waveform with `harmonics` partials falling off as 1/k^tilt. */
function harmonicTable(harmonics: number, tilt: number): Float32Array {
  const table = new Float32Array(TABLE_SIZE);
  for (let k = 1; k <= harmonics; k++) {
    const amplitude = 1 / k ** tilt;
    for (let i = 0; i < TABLE_SIZE; i++) table[i]! += amplitude * Math.sin((2 * Math.PI * k * i) / TABLE_SIZE);
  }
  return table;
}
const TABLE_SIZE = 2048;

/**
 * Adds a wavetable tone from `start` for `length` seconds: quick attack, slow decay to
 * `sustain`, short release; `vibratoHz` adds a slight pitch wobble, as a singer or a violin has.
 */
function renderTone(out: Float32Array, sr: number, table: Float32Array, hz: number, start: number, length: number,
  gain: number, attack: number, sustain: number, rng: Random, vibratoHz = 0): void {
  const i0 = Math.round(start * sr);
  const count = Math.min(out.length - i0, Math.round(length * sr));
  if (count <= 0) return;
  const attackSamples = attack * sr;
  const releaseSamples = Math.min(0.05, length / 4) * sr;
  // exp(-t / decay), advanced by one multiplication per sample.
  const decayStep = Math.exp(-1 / (rng.uniform(0.5, 2) * sr));
  let decayed = 1;
  let phase = rng.next() * TABLE_SIZE;
  const step = (hz * TABLE_SIZE) / sr;
  for (let i = 0; i < count; i++) {
    const env = Math.min(1, i / attackSamples, (count - i) / releaseSamples) * (sustain + (1 - sustain) * decayed);
    decayed *= decayStep;
    const index = Math.floor(phase);
    const frac = phase - index;
    const a = table[index]!;
    const b = table[index + 1 === TABLE_SIZE ? 0 : index + 1]!;
    out[i0 + i]! += gain * env * (a + (b - a) * frac);
    const wobble = vibratoHz > 0 ? 1 + 0.006 * Math.sin((2 * Math.PI * vibratoHz * i) / sr) : 1;
    phase += step * wobble;
    if (phase >= TABLE_SIZE) phase -= TABLE_SIZE;
  }
}

/** Kick on beats 1 and 3, snare on 2 and 4, hi-hat every half beat. */
function drums(out: Float32Array, sr: number, beat: number, rng: Random): void {
  const level = rng.uniform(0.4, 0.9);
  const seconds = out.length / sr;
  for (let b = 0; b * beat < seconds; b++) {
    const t = b * beat;
    if (b % 2 === 0) kick(out, sr, t, level);
    else snare(out, sr, t, level * 0.6, rng);
    hat(out, sr, t, level * 0.25, rng);
    hat(out, sr, t + beat / 2, level * 0.2, rng);
  }
}

function kick(out: Float32Array, sr: number, start: number, level: number): void {
  const i0 = Math.round(start * sr);
  const count = Math.min(out.length - i0, Math.round(0.18 * sr));
  let phase = 0;
  for (let i = 0; i < count; i++) {
    const t = i / sr;
    phase += (2 * Math.PI * (45 + 70 * Math.exp(-t / 0.03))) / sr;
    out[i0 + i]! += level * Math.exp(-t / 0.07) * Math.sin(phase);
  }
}

function snare(out: Float32Array, sr: number, start: number, level: number, rng: Random): void {
  const i0 = Math.round(start * sr);
  const count = Math.min(out.length - i0, Math.round(0.15 * sr));
  if (count <= 0) return;
  const noise = bandpass(whiteNoise(count, rng), sr, 2200, 0.8);
  for (let i = 0; i < count; i++) {
    const t = i / sr;
    out[i0 + i]! += level * Math.exp(-t / 0.05) * (noise[i]! * 1.5 + 0.5 * Math.sin(2 * Math.PI * 185 * t));
  }
}

function hat(out: Float32Array, sr: number, start: number, level: number, rng: Random): void {
  const i0 = Math.round(start * sr);
  const count = Math.min(out.length - i0, Math.round(0.04 * sr));
  if (count <= 0) return;
  const noise = bandpass(whiteNoise(count, rng), sr, Math.min(6500, sr * 0.4), 1.2);
  for (let i = 0; i < count; i++) out[i0 + i]! += level * Math.exp(-i / sr / 0.012) * noise[i]!;
}

// ---- speech ------------------------------------------------------------------------------

/** Formants (F1, F2, F3 in Hz) of five vowels, after Peterson & Barney's averages. */
const VOWELS = [[730, 1090, 2440], [270, 2290, 3010], [300, 870, 2240], [530, 1840, 2480], [570, 840, 2410]] as const;

function speech(n: number, sr: number, rng: Random): Float32Array {
  const out = new Float32Array(n);
  const f0 = rng.uniform(90, 230);
  const rate = rng.uniform(0.8, 1.25); // speaking-rate factor
  let t = rng.uniform(0, 0.15);
  while (t < n / sr) {
    const syllables = rng.int(1, 4);
    for (let s = 0; s < syllables && t < n / sr; s++) {
      if (rng.chance(0.5)) {
        // A fricative or plosive onset: a short hiss.
        const length = rng.uniform(0.02, 0.07) / rate;
        fricative(out, sr, t, length, rng);
        t += length;
      }
      const length = rng.uniform(0.09, 0.24) / rate;
      // Declination over the phrase plus a per-syllable accent, gliding within the syllable.
      const from = f0 * (1 + rng.uniform(-0.12, 0.18));
      const to = from * rng.uniform(0.85, 1.1);
      vowel(out, sr, t, length, from, to, rng.pick(VOWELS), rng);
      t += length;
    }
    t += rng.chance(0.25) ? rng.uniform(0.3, 0.6) : rng.uniform(0.06, 0.3);
  }
  return out;
}

/**
 * A voiced syllable: a band-limited sawtooth (the glottal buzz) through three formant
 * resonators, under a smooth envelope.
 */
function vowel(out: Float32Array, sr: number, start: number, length: number, fromHz: number, toHz: number,
  formants: readonly number[], rng: Random): void {
  const i0 = Math.round(start * sr);
  const count = Math.min(out.length - i0, Math.round(length * sr));
  if (count <= 0) return;
  const source = new Float32Array(count);
  let phase = 0;
  for (let i = 0; i < count; i++) {
    const hz = (fromHz + ((toHz - fromHz) * i) / count) * (1 + 0.01 * (rng.next() - 0.5));
    const dt = hz / sr;
    phase += dt;
    if (phase >= 1) phase -= 1;
    source[i] = 2 * phase - 1 - polyBlep(phase, dt);
  }
  const voiced = new Float32Array(count);
  formants.forEach((formant, k) => {
    const hz = Math.min(formant * rng.uniform(0.9, 1.1), sr * 0.45);
    const filtered = bandpass(source, sr, hz, hz / rng.uniform(60, 120));
    const gain = [1, 0.6, 0.3][k]!;
    for (let i = 0; i < count; i++) voiced[i]! += gain * filtered[i]!;
  });
  const ramp = Math.min(0.03, length / 3) * sr;
  for (let i = 0; i < count; i++) {
    const env = Math.min(1, i / ramp, (count - i) / ramp);
    out[i0 + i]! += env * voiced[i]!;
  }
}

function fricative(out: Float32Array, sr: number, start: number, length: number, rng: Random): void {
  const i0 = Math.round(start * sr);
  const count = Math.min(out.length - i0, Math.round(length * sr));
  if (count <= 0) return;
  const noise = bandpass(whiteNoise(count, rng), sr, Math.min(rng.uniform(3000, 6000), sr * 0.4), 1.5);
  const level = rng.uniform(0.1, 0.35);
  for (let i = 0; i < count; i++) out[i0 + i]! += level * Math.sin((Math.PI * i) / count) * noise[i]!;
}

/** The polyBLEP correction that takes the aliasing out of a naive sawtooth's jump. */
function polyBlep(phase: number, dt: number): number {
  if (phase < dt) {
    const x = phase / dt;
    return x + x - x * x - 1;
  }
  if (phase > 1 - dt) {
    const x = (phase - 1) / dt;
    return x * x + x + x + 1;
  }
  return 0;
}

// ---- crowd, cheers, whistles (shared by every class) -------------------------------------

/** Murmur of a crowd: low-passed noise swelling slowly. */
function crowd(n: number, sr: number, rng: Random): Float32Array {
  const noise = lowpass(lowpass(whiteNoise(n, rng), sr, rng.uniform(400, 1500)), sr, rng.uniform(1500, 3000));
  const hz = rng.uniform(0.2, 0.8);
  const phase = rng.uniform(0, 2 * Math.PI);
  for (let i = 0; i < n; i++) noise[i]! *= 1 + 0.35 * Math.sin((2 * Math.PI * hz * i) / sr + phase);
  return noise;
}

/** A cheer: band-passed noise that swells, holds and dies away. */
function cheer(n: number, sr: number, rng: Random): Float32Array {
  const out = new Float32Array(n);
  const start = Math.round(rng.uniform(0, 1.2) * sr);
  const count = Math.min(n - start, Math.round(rng.uniform(0.6, 1.4) * sr));
  if (count <= 0) return out;
  const noise = bandpass(bandpass(whiteNoise(count, rng), sr, rng.uniform(900, 1800), 0.7), sr, 1300, 0.5);
  const rise = count * rng.uniform(0.2, 0.4);
  for (let i = 0; i < count; i++) out[start + i] = Math.min(1, i / rise) * Math.exp(-Math.max(0, i - rise) / (0.5 * count)) * noise[i]!;
  return out;
}

/** One to three blasts of a pea whistle: a 2.6–3.6 kHz tone trilled by the rattling pea. */
function whistle(n: number, sr: number, rng: Random): Float32Array {
  const out = new Float32Array(n);
  const hz = rng.uniform(2600, 3600);
  const trill = rng.uniform(25, 40);
  let t = rng.uniform(0, 1.2);
  for (let blast = rng.int(1, 3); blast > 0 && t < n / sr; blast--) {
    const length = rng.uniform(0.15, 0.5);
    const i0 = Math.round(t * sr);
    const count = Math.min(n - i0, Math.round(length * sr));
    for (let i = 0; i < count; i++) {
      const time = i / sr;
      const env = Math.min(1, i / (0.01 * sr), (count - i) / (0.02 * sr));
      out[i0 + i] = env * (0.7 + 0.3 * Math.sin(2 * Math.PI * trill * time)) * Math.sin(2 * Math.PI * hz * time);
    }
    t += length + rng.uniform(0.1, 0.3);
  }
  return out;
}

// ---- small DSP helpers -------------------------------------------------------------------

function whiteNoise(n: number, rng: Random): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = 2 * rng.next() - 1;
  return out;
}

/** RBJ band-pass biquad (constant 0 dB peak gain), into a new array. */
function bandpass(input: Float32Array, sr: number, hz: number, q: number): Float32Array {
  const w = (2 * Math.PI * hz) / sr;
  const alpha = Math.sin(w) / (2 * q);
  const a0 = 1 + alpha;
  const b0 = alpha / a0, b2 = -alpha / a0, a1 = (-2 * Math.cos(w)) / a0, a2 = (1 - alpha) / a0;
  const out = new Float32Array(input.length);
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  for (let i = 0; i < input.length; i++) {
    const x = input[i]!;
    const y = b0 * x + b2 * x2 - a1 * y1 - a2 * y2;
    out[i] = y;
    x2 = x1; x1 = x; y2 = y1; y1 = y;
  }
  return out;
}

/** One-pole low-pass, in place. */
function lowpass(samples: Float32Array, sr: number, hz: number): Float32Array {
  const a = 1 - Math.exp((-2 * Math.PI * hz) / sr);
  let y = 0;
  for (let i = 0; i < samples.length; i++) {
    y += a * (samples[i]! - y);
    samples[i] = y;
  }
  return samples;
}

function addInto(target: Float32Array, source: Float32Array, gain = 1): void {
  for (let i = 0; i < target.length; i++) target[i]! += gain * source[i]!;
}

function normaliseRms(samples: Float32Array, rms: number): void {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  const current = Math.sqrt(sum / Math.max(1, samples.length));
  if (current > 0) for (let i = 0; i < samples.length; i++) samples[i]! *= rms / current;
}

function normalisePeak(samples: Float32Array, peak: number): void {
  let max = 0;
  for (let i = 0; i < samples.length; i++) max = Math.max(max, Math.abs(samples[i]!));
  if (max > 0) for (let i = 0; i < samples.length; i++) samples[i]! *= peak / max;
}

function dbToGain(db: number): number {
  return 10 ** (db / 20);
}

function midiToHz(midi: number): number {
  return 440 * 2 ** ((midi - 69) / 12);
}
