// FM I2C / FM SPI framing: golden frames of docs/hal.md "Golden frames" and properties of the pure
// codecs.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  decodeFmI2cFrame,
  encodeFmI2cFrame,
  fmI2cFrameLength,
  FM_I2C_NAK_FRAME,
  FM_I2C_CMD_APDU,
  FM_I2C_CMD_ATR,
} from "../../hal/link/fm-i2c-frame.js";
import { decodeFmSpiFrame, encodeFmSpiFrame, encodeFmSpiSend, fmSpiFrameLength } from "../../hal/link/fm-spi-frame.js";
import { LinkChecksum, LinkLength, LinkProtocol } from "../../hal/link/errors.js";
import { fromHex, toHex } from "../../reference/bytes.js";

const GET_CHALLENGE_8 = fromHex("00 84 00 00 08");

describe("golden frames (docs/hal.md)", () => {
  it("GET CHALLENGE(8) over I2C", () => {
    expect(toHex(encodeFmI2cFrame(FM_I2C_CMD_APDU, GET_CHALLENGE_8), " ")).toBe("08 00 00 02 00 84 00 00 08 86");
  });
  it("NAK over I2C", () => {
    expect(toHex(FM_I2C_NAK_FRAME, " ")).toBe("03 00 00 ba b9");
  });
  it("GET ATR over I2C", () => {
    expect(toHex(encodeFmI2cFrame(FM_I2C_CMD_ATR), " ")).toBe("03 00 00 30 33");
  });
  it("GET CHALLENGE(8) over SPI", () => {
    expect(toHex(encodeFmSpiSend(GET_CHALLENGE_8), " ")).toBe("02 00 05 00 84 00 00 08 76");
  });
  it("decodes an I2C response frame", () => {
    // 8 random bytes + 9000, STA 00
    const f = decodeFmI2cFrame(fromHex("0d 00 00 00 01 02 03 04 05 06 07 08 90 00 95"));
    expect(f.nad).toBe(0);
    expect(f.code).toBe(0);
    expect(toHex(f.data, " ")).toBe("01 02 03 04 05 06 07 08 90 00");
  });
});

describe("FM I2C codec", () => {
  const data = fc.uint8Array({ minLength: 0, maxLength: 1021 });
  it("round-trips every frame", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), data, (cmd, d) => {
        const f = encodeFmI2cFrame(cmd, d);
        expect(f.length).toBe(d.length + 5);
        expect(fmI2cFrameLength(f)).toBe(d.length + 3);
        const back = decodeFmI2cFrame(f);
        expect(back.code).toBe(cmd);
        expect(toHex(back.data, " ")).toBe(toHex(d, " "));
      }),
      { numRuns: 200 },
    );
  });
  it("detects every corrupted byte", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (d, at, mask) => {
        const f = encodeFmI2cFrame(2, d);
        const i = at % f.length;
        f[i] ^= mask;
        expect(() => decodeFmI2cFrame(f)).toThrow(i < 2 ? LinkLength : LinkChecksum);
      }),
      { numRuns: 1000 },
    );
  });
  it("every byte of the golden frame, every bit", () => {
    const good = encodeFmI2cFrame(2, GET_CHALLENGE_8);
    for (let i = 0; i < good.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const f = good.slice();
        f[i] ^= 1 << bit;
        expect(() => decodeFmI2cFrame(f), `byte ${i} bit ${bit}`).toThrow(/BCC|LEN/);
      }
    }
  });
  it("detects truncation and extension", () => {
    const f = encodeFmI2cFrame(2, GET_CHALLENGE_8);
    expect(() => decodeFmI2cFrame(f.subarray(0, f.length - 1))).toThrow(LinkLength);
    expect(() => decodeFmI2cFrame(Uint8Array.of(...f, 0))).toThrow(LinkLength);
  });
  it("rejects LEN out of 3..1024", () => {
    expect(() => fmI2cFrameLength(fromHex("02 00"))).toThrow(LinkLength);
    expect(() => fmI2cFrameLength(fromHex("01 04"))).toThrow(/LEN must be 3..1024/);
    expect(fmI2cFrameLength(fromHex("00 04"))).toBe(1024);
    expect(() => fmI2cFrameLength(fromHex("ff ff"))).toThrow(LinkLength);
  });
  it("refuses a command too long for one frame", () => {
    expect(encodeFmI2cFrame(2, new Uint8Array(1021)).length).toBe(1026);
    expect(() => encodeFmI2cFrame(2, new Uint8Array(1022))).toThrow(LinkProtocol);
  });
});

describe("FM SPI codec", () => {
  it("round-trips every frame", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 1024 }), (d) => {
        const f = encodeFmSpiFrame(d);
        expect(f.length).toBe(d.length + 3);
        expect(fmSpiFrameLength(f)).toBe(d.length);
        expect(toHex(decodeFmSpiFrame(f), " ")).toBe(toHex(d, " "));
      }),
      { numRuns: 200 },
    );
  });
  it("detects every corrupted byte", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 2, maxLength: 64 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (d, at, mask) => {
        const f = encodeFmSpiFrame(d);
        const i = at % f.length;
        f[i] ^= mask;
        expect(() => decodeFmSpiFrame(f)).toThrow(i < 2 ? LinkLength : LinkChecksum);
      }),
      { numRuns: 1000 },
    );
  });
  it("LEN is big-endian and LRC starts from 0xFF", () => {
    const f = encodeFmSpiFrame(new Uint8Array(0x123));
    expect(f[0]).toBe(0x01);
    expect(f[1]).toBe(0x23);
    expect(f[f.length - 1]).toBe(0xff ^ 0x01 ^ 0x23);
  });
  it("rejects LEN out of 2..1024 and empty or oversize commands", () => {
    expect(() => fmSpiFrameLength(fromHex("00 01"))).toThrow(LinkLength);
    expect(() => fmSpiFrameLength(fromHex("04 01"))).toThrow(LinkLength);
    expect(() => encodeFmSpiFrame(new Uint8Array(0))).toThrow(LinkProtocol);
    expect(() => encodeFmSpiFrame(new Uint8Array(1025))).toThrow(LinkProtocol);
  });
});
