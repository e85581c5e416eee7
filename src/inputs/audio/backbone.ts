// A pretrained audio backbone was trained on audio at its own rate, read through its own
// front end: the input decodes to what it reads (the backbone's rate, waveforms rather
// than log-mels at the input's settings), and the backbone's front end takes the place of
// the data set's statistics (fit leaves waveforms as they are).
import { BACKBONES, type BackboneName } from "../../model/backbones/index.js";
import type { AudioParams } from "./index.js";

/** `params` as `backbone` needs them; unchanged without an audio backbone (or with an unknown one, which the config check names). */
export function backboneAudioParams(params: AudioParams, backbone: string | undefined): AudioParams {
  const spec = backbone !== undefined && Object.hasOwn(BACKBONES, backbone) ? BACKBONES[backbone as BackboneName] : undefined;
  if (spec?.kind !== "audio") return params;
  return { ...params, sampleRate: spec.sampleRate, representation: spec.representation };
}
