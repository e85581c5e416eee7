// Every kind of input, by name: adding a kind is its folder under inputs/ and one line here.
import type { InputKind, InputParams, InputState, KindName } from "./kind.js";
import { audioKind } from "./audio/index.js";
import { imageKind } from "./image/index.js";
import { tabularKind } from "./tabular/index.js";
import { textKind } from "./text/index.js";

const KINDS: Record<KindName, InputKind> = {
  tabular: tabularKind,
  image: imageKind,
  audio: audioKind,
  text: textKind,
};

/** The module that handles an input of this kind. */
export function kindOf(input: InputParams | InputState): InputKind {
  return KINDS[input.kind];
}
