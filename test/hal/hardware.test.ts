// Opt-in hardware tests: run only when TID_HW_BOARD names a board (e.g. TID_HW_BOARD=rpi4-i2c on a
// Raspberry Pi with an FM SE wired as in docs/hal.md; env overrides TID_I2C_BUS, TID_I2C_ADDRESS,
// TID_SPI_DEVICE apply). They send only harmless commands: the ATR request and GET CHALLENGE.
import { describe, expect, it } from "vitest";
import { loadBoard } from "../../hal/boards.js";
import { openBoard, type OpenedBoard } from "../../hal/open-board.js";

const BOARD = process.env.TID_HW_BOARD;

describe.skipIf(!BOARD)(`hardware: ${BOARD ?? "(set TID_HW_BOARD to run)"}`, () => {
  const open = (): OpenedBoard => openBoard(loadBoard(BOARD!));

  it("opens the bus and reads the ATR (I2C)", async () => {
    const o = open();
    try {
      if (o.board.bus === "i2c") {
        const atr = await o.link.atr();
        expect(atr.length).toBeGreaterThan(0);
        console.log(`ATR ${Buffer.from(atr).toString("hex")}`);
      }
    } finally {
      o.close();
    }
  });

  it("GET CHALLENGE(8), async and sync, gives 8 fresh bytes each time", async () => {
    const o = open();
    try {
      const cmd = { cla: 0x00, ins: 0x84, p1: 0, p2: 0, le: 8 };
      const a = await o.channel.send(cmd);
      const b = o.channel.sendSync(cmd);
      expect(a.length).toBe(8);
      expect(b.length).toBe(8);
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
      console.log(`link stats ${JSON.stringify(o.link.stats)}`);
    } finally {
      o.close();
    }
  });

  it("50 exchanges in a row without an error", async () => {
    const o = open();
    try {
      for (let i = 0; i < 50; i++) expect((await o.channel.send({ cla: 0x00, ins: 0x84, p1: 0, p2: 0, le: 16 })).length).toBe(16);
      expect(o.link.stats.failures).toBe(0);
    } finally {
      o.close();
    }
  });
});

describe.skipIf(!!BOARD)("hardware (skipped)", () => {
  it.skip("set TID_HW_BOARD=<board> to run the hardware tests", () => {});
});
