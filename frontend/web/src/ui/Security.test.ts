import { describe, expect, it } from "vitest";
import type { LoginSession } from "../api/types";
import { sessionLabels } from "./Security";

const session = (id: string, created: string, ip: string | null = "10.0.0.1"): LoginSession => ({
  id,
  device: "Chrome 156 on Linux",
  ip_address: ip,
  created_at: created,
  last_seen_at: created,
  current: false,
});

describe("sessionLabels", () => {
  const when = (iso: string) => iso.slice(11, 19);

  it("names each Sign out by device, sign-in time and address", () => {
    expect(sessionLabels([session("a", "2026-05-05T10:00:01Z"), session("b", "2026-05-05T11:30:00Z", null)], when)).toEqual([
      "Sign out Chrome 156 on Linux, signed in 10:00:01 from 10.0.0.1",
      "Sign out Chrome 156 on Linux, signed in 11:30:00",
    ]);
  });

  it("tells apart sessions that still read alike (signed in within the same second)", () => {
    const alike = [session("a", "2026-05-05T10:00:01.1Z"), session("b", "2026-05-05T10:00:01.2Z"), session("c", "2026-05-05T12:00:00Z")];
    const labels = sessionLabels(alike, when);
    expect(labels).toEqual([
      "Sign out Chrome 156 on Linux, signed in 10:00:01 from 10.0.0.1 (1 of 2)",
      "Sign out Chrome 156 on Linux, signed in 10:00:01 from 10.0.0.1 (2 of 2)",
      "Sign out Chrome 156 on Linux, signed in 12:00:00 from 10.0.0.1",
    ]);
    expect(new Set(labels).size).toBe(3);
  });
});
