import { describe, expect, it } from "vitest";
import { peopleList } from "./names";

const NAMES: Record<number, string> = { 1: "Ada", 2: "Grace", 3: "Alan" };
const nameOf = (id: number) => NAMES[id] ?? "someone";

describe("peopleList", () => {
  it("names everyone, you last", () => {
    expect(peopleList([2], 1, nameOf)).toBe("Grace");
    expect(peopleList([1], 1, nameOf)).toBe("you");
    expect(peopleList([1, 2], 1, nameOf)).toBe("Grace and you");
    expect(peopleList([3, 1, 2], 1, nameOf)).toBe("Alan, Grace and you");
    expect(peopleList([9, 3], 1, nameOf)).toBe("someone and Alan");
  });
});
