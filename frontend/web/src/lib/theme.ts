// Light or dark: the system's scheme unless the person pinned one in Settings (kept in localStorage).
// The palette itself is CSS light-dark() pairs (styles.css); this only sets <html data-theme> and the
// colour of the browser's own chrome.
export type ThemeChoice = "system" | "light" | "dark";
type Theme = Exclude<ThemeChoice, "system">;

const KEY = "parley.theme";
const CHOICES: readonly ThemeChoice[] = ["system", "light", "dark"];
/** The address bar and an installed app's title bar, per theme. */
export const THEME_COLOR: Record<Theme, string> = { light: "#1f4e79", dark: "#161b22" };

export function readThemeChoice(): ThemeChoice {
  try {
    const value = localStorage.getItem(KEY);
    return CHOICES.find((choice) => choice === value) ?? "system";
  } catch {
    return "system"; // storage disabled
  }
}

export function saveThemeChoice(choice: ThemeChoice): void {
  try {
    if (choice === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, choice);
  } catch {
    // storage disabled: the choice lasts as long as the page
  }
}

/** Pin the page to `choice` ("system": CSS follows the media query) and colour the browser chrome. */
export function applyTheme(choice: ThemeChoice, doc: Document = document): void {
  const root = doc.documentElement;
  if (choice === "system") delete root.dataset.theme;
  else root.dataset.theme = choice;
  for (const meta of doc.querySelectorAll<HTMLMetaElement>('meta[name="theme-color"]')) {
    const scheme: Theme = meta.getAttribute("media")?.includes("dark") ? "dark" : "light";
    meta.content = THEME_COLOR[choice === "system" ? scheme : choice];
  }
}
