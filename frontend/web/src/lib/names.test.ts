import { describe, expect, it } from "vitest";
import type { Attachment } from "../api/types";
import { filesLine, peopleList, seenBy } from "./names";

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

describe("filesLine", () => {
  const file = (name: string, size = 2048): Attachment =>
    ({ id: name, name, size, content_type: "image/png", width: null, height: null, thumbnail_url: null }) as Attachment;

  it("names the files a forward sends on, the one file with its size", () => {
    expect(filesLine([])).toBe("");
    expect(filesLine([file("holiday.png")])).toBe("With holiday.png (2 KB)");
    expect(filesLine([file("holiday.png"), file("plan.pdf")])).toBe("With 2 files: holiday.png and plan.pdf");
    expect(filesLine([file("a.png"), file("b.png"), file("c.pdf")])).toBe("With 3 files: a.png, b.png and c.pdf");
  });
});

describe("seenBy", () => {
  const ada = { id: 1, username: "ada", display_name: "Ada" };
  const grace = { id: 2, username: "grace", display_name: "Grace Hopper" };

  it("names the members who read up to my message, not me, not those short of it", () => {
    const alan = { id: 3, username: "alan" };
    expect(seenBy({ 1: 9, 2: 7, 3: 6 }, 7, [ada, grace, alan], 1)).toEqual(["Grace Hopper"]);
    expect(seenBy({ 2: 7, 3: 8 }, 7, [ada, grace, alan], 1)).toEqual(["Grace Hopper", "alan"]);
    expect(seenBy({ 2: 6 }, 7, [ada, grace], 1)).toBeNull();
  });

  it("leaves out one who read it and then left (they were named 'Someone')", () => {
    expect(seenBy({ 2: 7, 3: 7 }, 7, [ada, grace], 1)).toEqual(["Grace Hopper"]);
    expect(seenBy({ 3: 7 }, 7, [ada, grace], 1)).toBeNull();
  });
});
