// @vitest-environment happy-dom
// The people search of the Members dialog's "Add people" (and of a new conversation), as one types: answers
// come back in any order, and only the one to the search now asked may show.
import { act, createElement } from "react";
import { createRoot, type Root } from "react-dom/client";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Paginated, PublicUser } from "../api/types";
import { me, person } from "../test/fixtures";
import { AppContext, type AppServices } from "./context";
import { PeopleSearch } from "./PeopleSearch";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** A promise the test settles when it chooses. */
interface Pending<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function pending<T>(): Pending<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}

const found = (...ids: number[]): Paginated<PublicUser> => ({ count: ids.length, results: ids.map(person) });

describe("PeopleSearch", () => {
  let host: HTMLElement;
  let root: Root;
  /** search → its answers, one per asking, in the order asked */
  let people: Map<string, Pending<Paginated<PublicUser>>[]>;
  let members: Map<string, Pending<ReadonlySet<number>>[]>;
  const asked = <T>(answers: Map<string, Pending<T>[]>, search: string): Promise<T> => {
    const answer = pending<T>();
    answers.set(search, [...(answers.get(search) ?? []), answer]);
    return answer.promise;
  };
  const http = { searchUsers: (search: string) => asked(people, search) };
  const membersAmong = (search: string) => asked(members, search);

  beforeEach(() => {
    vi.useFakeTimers();
    people = new Map();
    members = new Map();
    host = document.createElement("div");
    document.body.append(host);
    root = createRoot(host);
  });

  afterEach(() => {
    act(() => root.unmount());
    host.remove();
    vi.useRealTimers();
  });

  function render(onChoose: (user: PublicUser) => unknown = () => undefined) {
    const services = { http, me } as unknown as AppServices;
    const search = createElement(PeopleSearch, { label: "Search people to add", onChoose, membersAmong });
    act(() => root.render(createElement(AppContext.Provider, { value: services }, search)));
  }

  const box = () => host.querySelector("input") as HTMLInputElement;
  /** Type into the box (as React hears it), then wait out the debounce: the search is asked. */
  async function type(text: string) {
    await act(async () => {
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value")?.set?.call(box(), text);
      box().dispatchEvent(new Event("input", { bubbles: true }));
    });
    await act(() => vi.advanceTimersByTimeAsync(300));
  }
  /** The server answers the `nth` asking of `search`: these people, these of them members. */
  async function answer(search: string, ids: number[], memberIds: number[] = [], nth = 0) {
    await act(async () => {
      people.get(search)?.[nth]?.resolve(found(...ids));
      members.get(search)?.[nth]?.resolve(new Set(memberIds));
    });
  }
  const listed = () => [...host.querySelectorAll("ul.people > li")].map((li) => li.textContent);

  it("shows the newest search's answer when an older one comes after it", async () => {
    render();
    await type("user");
    await type("user2");
    await answer("user2", [2], [2]);
    expect(listed()).toEqual(["User 2 @user2 already a member"]);
    await answer("user", [2, 3, 4]);
    expect(listed()).toEqual(["User 2 @user2 already a member"]);
  });

  it("never shows an earlier search's people for the one asked now, and says it is searching, not 'No one found.'", async () => {
    render();
    await type("user3");
    expect(listed()).toEqual(["Searching…"]); // it said "No one found." before the answer came
    await answer("user3", [3]);
    expect(listed()).toEqual(["User 3 @user3"]);
    await type("");
    await type("user4");
    expect(listed()).toEqual(["Searching…"]); // it listed User 3, the answer to "user3"
    await answer("user4", []);
    expect(listed()).toEqual(["No one found."]);
  });

  it("keeps a search typed while an add was on its way, when the add is done", async () => {
    const added = pending<boolean>();
    render(() => added.promise);
    await type("user3");
    await answer("user3", [3]);
    await act(async () => host.querySelector<HTMLButtonElement>("ul.people button")?.click());
    await type("user4");
    await answer("user4", [4]);
    await act(async () => added.resolve(true)); // User 3 added
    expect(box().value).toBe("user4"); // it emptied the box and the list of what was typed since
    expect(listed()).toEqual(["User 4 @user4"]);
  });

  it("empties the box for the next when the add is done and nothing was typed meanwhile", async () => {
    const added = pending<boolean>();
    render(() => added.promise);
    await type("user3");
    await answer("user3", [3]);
    await act(async () => host.querySelector<HTMLButtonElement>("ul.people button")?.click());
    await act(async () => added.resolve(true));
    expect(box().value).toBe("");
    expect(listed()).toEqual([]);
    expect(document.activeElement).toBe(box());
  });
});
