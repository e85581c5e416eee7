// A pretrained backbone expects its pixels normalised as in its own training (ImageNet's
// mean and std for torchvision's weights), not by this data set's statistics. The fitted
// state carries the backbone's, so training and predict both normalise that way.
import { backboneSpec } from "../../model/backbones/index.js";
import type { InputState } from "../kind.js";
import type { ImageState } from "./index.js";

/** `states` with each backbone-read image input's mean and std replaced by the backbone's. */
export function backboneNormalisation(states: InputState[], encoders: Record<string, { backbone?: string | undefined }>): InputState[] {
  return states.map((s) => {
    const backbone = Object.hasOwn(encoders, s.name) ? encoders[s.name]?.backbone : undefined;
    const spec = backbone === undefined ? undefined : backboneSpec(backbone);
    if (spec?.kind !== "image" || s.kind !== "image") return s;
    const { mean, std } = spec;
    const image: ImageState = { ...(s as ImageState), mean: [...mean], std: [...std] };
    return image;
  });
}
