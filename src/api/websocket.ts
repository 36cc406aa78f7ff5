// docker's attach/ws: the connection taken over as a websocket, whose binary messages carry
// the container's raw streams (never multiplexed: API 1.42 and later send binary frames).
import type { IncomingMessage, ServerResponse } from "node:http";
import type net from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, createWebSocketStream } from "ws";
import { ApiError } from "./http.js";

const server = new WebSocketServer({ noServer: true });

/** The websocket as one stream: a message in is a chunk read, a chunk written a binary message; the client's close is the end. */
export function acceptWebSocket(req: IncomingMessage, res: ServerResponse, socket: net.Socket | undefined): Promise<Duplex> {
  if (!socket || req.headers.upgrade?.toLowerCase() !== "websocket") {
    throw new ApiError(400, "this endpoint is a websocket: send Connection: Upgrade and Upgrade: websocket");
  }
  res.detachSocket(socket);
  return new Promise((resolve) =>
    server.handleUpgrade(req, socket, Buffer.alloc(0), (ws) => {
      ws.binaryType = "nodebuffer";
      const stream = createWebSocketStream(ws);
      // Output after the client closed fails here, not in the process: the session ends on close.
      stream.on("error", () => stream.destroy());
      resolve(stream);
    }),
  );
}
