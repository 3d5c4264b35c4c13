import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { startServiceWorker } from "./lib/serviceWorker";
import { applyTheme, readThemeChoice } from "./lib/theme";
import { App } from "./ui/App";
import "./styles.css";

applyTheme(readThemeChoice());
startServiceWorker();

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
