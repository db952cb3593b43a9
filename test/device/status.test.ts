// The status table lives in assembly/status.ts; bindings/status.ts mirrors it. Keep them equal.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Status, statusLayer, statusName } from "../../bindings/status.js";

const source = readFileSync(new URL("../../assembly/status.ts", import.meta.url), "utf8");
const table = Object.fromEntries([...source.matchAll(/export const (\w+): i32 = (-?\d+);/g)].map((m) => [m[1]!, Number(m[2])]));

describe("status table", () => {
  it("TypeScript mirror equals the assembly table", () => {
    expect(Object.keys(table).length).toBeGreaterThan(20);
    expect(Status).toEqual(table);
  });
  it("codes are distinct", () => {
    const codes = Object.values(table);
    expect(new Set(codes).size).toBe(codes.length);
  });
  it("names and layers", () => {
    expect(statusName(-304)).toBe("ERR_VERIFY_FAILED");
    expect(statusName(-999)).toBe("UNKNOWN(-999)");
    expect(statusLayer(-103)).toBe("argument");
    expect(statusLayer(-201)).toBe("state");
    expect(statusLayer(-300)).toBe("protocol");
    expect(statusLayer(-400)).toBe("crypto");
    expect(statusLayer(-503)).toBe("se");
  });
});
