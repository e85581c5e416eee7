// SVG → PNG with resvg. Fonts come only from the dejavu-fonts-ttf package, never from the
// system, so a report's pictures are pixel-identical on every machine.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { FONT, MONO, svgSize } from "./svg.js";

const FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"];

let fontPaths: string[] | undefined;

function fonts(): string[] {
  if (!fontPaths) {
    // The package has no entry point, but its package.json resolves and sits beside ttf/.
    const pkg = createRequire(import.meta.url).resolve("dejavu-fonts-ttf/package.json");
    fontPaths = FONT_FILES.map((f) => join(dirname(pkg), "ttf", f));
  }
  return fontPaths;
}

/** Renders an SVG to PNG bytes, `widthPx` wide (default: the SVG's own width), height in proportion. */
export function svgToPng(svg: string, widthPx?: number): Buffer {
  const width = widthPx ?? svgSize(svg).width;
  const resvg = new Resvg(svg, {
    fitTo: { mode: "width", value: Math.round(width) },
    background: "#ffffff",
    font: {
      loadSystemFonts: false,
      fontFiles: fonts(),
      defaultFontFamily: FONT,
      sansSerifFamily: FONT,
      monospaceFamily: MONO,
    },
    logLevel: "off",
  });
  return resvg.render().asPng();
}

/** Width and height from a PNG's IHDR chunk; throws if the bytes are not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const magic = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || magic.some((b, i) => png[i] !== b)) throw new Error("not a PNG");
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  if (String.fromCharCode(...png.subarray(12, 16)) !== "IHDR") throw new Error("PNG lacks IHDR");
  return { width: view.getUint32(16), height: view.getUint32(20) };
}
