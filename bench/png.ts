/**
 * A tiny RGB raster with a PNG encoder (node:zlib only, no native
 * dependency) and a 5x7 bitmap font, enough to draw the benchmark's charts.
 * Text is drawn upper-case; characters without a glyph show as '?'.
 */
import { deflateSync } from "node:zlib";

export type Rgb = readonly [number, number, number];

const GLYPHS: Record<string, string> = {
  A: "01110,10001,10001,11111,10001,10001,10001",
  B: "11110,10001,10001,11110,10001,10001,11110",
  C: "01110,10001,10000,10000,10000,10001,01110",
  D: "11110,10001,10001,10001,10001,10001,11110",
  E: "11111,10000,10000,11110,10000,10000,11111",
  F: "11111,10000,10000,11110,10000,10000,10000",
  G: "01110,10001,10000,10111,10001,10001,01111",
  H: "10001,10001,10001,11111,10001,10001,10001",
  I: "01110,00100,00100,00100,00100,00100,01110",
  J: "00111,00010,00010,00010,00010,10010,01100",
  K: "10001,10010,10100,11000,10100,10010,10001",
  L: "10000,10000,10000,10000,10000,10000,11111",
  M: "10001,11011,10101,10101,10001,10001,10001",
  N: "10001,10001,11001,10101,10011,10001,10001",
  O: "01110,10001,10001,10001,10001,10001,01110",
  P: "11110,10001,10001,11110,10000,10000,10000",
  Q: "01110,10001,10001,10001,10101,10010,01101",
  R: "11110,10001,10001,11110,10100,10010,10001",
  S: "01111,10000,10000,01110,00001,00001,11110",
  T: "11111,00100,00100,00100,00100,00100,00100",
  U: "10001,10001,10001,10001,10001,10001,01110",
  V: "10001,10001,10001,10001,10001,01010,00100",
  W: "10001,10001,10001,10101,10101,10101,01010",
  X: "10001,10001,01010,00100,01010,10001,10001",
  Y: "10001,10001,10001,01010,00100,00100,00100",
  Z: "11111,00001,00010,00100,01000,10000,11111",
  "0": "01110,10001,10011,10101,11001,10001,01110",
  "1": "00100,01100,00100,00100,00100,00100,01110",
  "2": "01110,10001,00001,00010,00100,01000,11111",
  "3": "11111,00010,00100,00010,00001,10001,01110",
  "4": "00010,00110,01010,10010,11111,00010,00010",
  "5": "11111,10000,11110,00001,00001,10001,01110",
  "6": "00110,01000,10000,11110,10001,10001,01110",
  "7": "11111,00001,00010,00100,01000,01000,01000",
  "8": "01110,10001,10001,01110,10001,10001,01110",
  "9": "01110,10001,10001,01111,00001,00010,01100",
  " ": "00000,00000,00000,00000,00000,00000,00000",
  ".": "00000,00000,00000,00000,00000,01100,01100",
  ",": "00000,00000,00000,00000,01100,00100,01000",
  ":": "00000,01100,01100,00000,01100,01100,00000",
  "(": "00010,00100,01000,01000,01000,00100,00010",
  ")": "01000,00100,00010,00010,00010,00100,01000",
  "%": "11000,11001,00010,00100,01000,10011,00011",
  "-": "00000,00000,00000,11111,00000,00000,00000",
  _: "00000,00000,00000,00000,00000,00000,11111",
  "/": "00000,00001,00010,00100,01000,10000,00000",
  "=": "00000,00000,11111,00000,11111,00000,00000",
  "<": "00010,00100,01000,10000,01000,00100,00010",
  ">": "01000,00100,00010,00001,00010,00100,01000",
  "+": "00000,00100,00100,11111,00100,00100,00000",
  "?": "01110,10001,00001,00010,00100,00000,00100",
};

const FONT = new Map(Object.entries(GLYPHS).map(([ch, rows]) => [ch, rows.split(",").map((r) => Number.parseInt(r, 2))]));

/** A white RGB canvas. */
export class Canvas {
  readonly width: number;
  readonly height: number;
  readonly #pixels: Uint8Array;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.#pixels = new Uint8Array(width * height * 3).fill(255);
  }

  /** Sets one pixel (clipped). */
  set(x: number, y: number, color: Rgb): void {
    const xi = Math.round(x);
    const yi = Math.round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    const i = (yi * this.width + xi) * 3;
    this.#pixels[i] = color[0];
    this.#pixels[i + 1] = color[1];
    this.#pixels[i + 2] = color[2];
  }

  fillRect(x: number, y: number, w: number, h: number, color: Rgb): void {
    const x0 = Math.round(Math.min(x, x + w));
    const y0 = Math.round(Math.min(y, y + h));
    const x1 = Math.round(Math.max(x, x + w));
    const y1 = Math.round(Math.max(y, y + h));
    for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) this.set(xx, yy, color);
  }

  /** A line of the given thickness (square brush). */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const half = Math.floor(thickness / 2);
    for (let s = 0; s <= steps; s++) {
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      for (let dy = -half; dy < thickness - half; dy++) for (let dx = -half; dx < thickness - half; dx++) this.set(x + dx, y + dy, color);
    }
  }

  /** A dashed horizontal or vertical helper line. */
  dashed(x0: number, y0: number, x1: number, y1: number, color: Rgb, dash = 4): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    for (let s = 0; s <= steps; s++) if (Math.floor(s / dash) % 2 === 0) this.set(x0 + ((x1 - x0) * s) / steps, y0 + ((y1 - y0) * s) / steps, color);
  }

  /** Width in pixels of `text` at `scale`. */
  static textWidth(text: string, scale = 2): number {
    return text.length === 0 ? 0 : (text.length * 6 - 1) * scale;
  }

  /** Draws `text` with its top-left corner at (x, y); `align` moves the anchor. */
  text(x: number, y: number, text: string, color: Rgb, scale = 2, align: "left" | "center" | "right" = "left"): void {
    const width = Canvas.textWidth(text, scale);
    let cx = Math.round(align === "left" ? x : align === "center" ? x - width / 2 : x - width);
    for (const ch of text.toUpperCase()) {
      const rows = FONT.get(ch) ?? FONT.get("?")!;
      for (let r = 0; r < 7; r++) {
        const bits = rows[r]!;
        for (let c = 0; c < 5; c++) if ((bits >> (4 - c)) & 1) this.fillRect(cx + c * scale, y + r * scale, scale, scale, color);
      }
      cx += 6 * scale;
    }
  }

  /** Text rotated 90 degrees counter-clockwise, reading bottom to top, centred on (x, y). */
  textVertical(x: number, y: number, text: string, color: Rgb, scale = 2): void {
    const width = Canvas.textWidth(text, scale);
    let cy = Math.round(y + width / 2);
    for (const ch of text.toUpperCase()) {
      const rows = FONT.get(ch) ?? FONT.get("?")!;
      for (let r = 0; r < 7; r++) {
        const bits = rows[r]!;
        for (let c = 0; c < 5; c++) if ((bits >> (4 - c)) & 1) this.fillRect(x + r * scale, cy - (c + 1) * scale, scale, scale, color);
      }
      cy -= 6 * scale;
    }
  }

  /** Encodes the canvas as an 8-bit RGB PNG. */
  toPng(): Buffer {
    const stride = this.width * 3;
    const raw = Buffer.alloc((stride + 1) * this.height);
    for (let y = 0; y < this.height; y++) {
      raw[y * (stride + 1)] = 0; // filter: none
      Buffer.from(this.#pixels.buffer, this.#pixels.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
    }
    const header = Buffer.alloc(13);
    header.writeUInt32BE(this.width, 0);
    header.writeUInt32BE(this.height, 4);
    header[8] = 8; // bit depth
    header[9] = 2; // colour type: RGB
    return Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk("IHDR", header),
      chunk("IDAT", deflateSync(raw, { level: 9 })),
      chunk("IEND", Buffer.alloc(0)),
    ]);
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length, 0);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body), 0);
  return Buffer.concat([length, body, crc]);
}
