import { createContext, useContext, useSyncExternalStore } from "react";
import type { ApiClient } from "../api/client";
import type { Endpoints } from "../api/endpoints";
import type { Me } from "../api/types";
import type { ChatSocket } from "../realtime/socket";
import type { ChatState, ChatStore } from "../state/store";

export interface AppServices {
  client: ApiClient;
  http: Endpoints;
  store: ChatStore;
  socket: ChatSocket;
  me: Me;
  setMe: (me: Me) => void;
  logOut: () => Promise<void>;
}

export const AppContext = createContext<AppServices | null>(null);

export function useApp(): AppServices {
  const services = useContext(AppContext);
  if (!services) throw new Error("useApp outside the signed-in shell");
  return services;
}

export function useChat(): ChatState {
  const { store } = useApp();
  return useSyncExternalStore(store.subscribe, store.getState);
}
