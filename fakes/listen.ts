// What every fake server does to start and stop: listen on loopback, and close even with keep-alive clients.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

export async function listen(server: Server, port = 0): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
