// Loopback clients of a published port, for the tests of the monitor's forwarding.
import dgram from "node:dgram";
import net from "node:net";

/** Whether something accepts connections on 127.0.0.1:port. */
export function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1", () => {
      s.destroy();
      resolve(true);
    });
    s.on("error", () => resolve(false));
  });
}

/** Sends data, shuts its writing down, and resolves with everything the other side sent back before it closed; rejects on an error. */
export function exchange(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, "127.0.0.1", () => s.end(data));
    s.on("data", (d: Buffer) => chunks.push(d));
    s.on("end", () => resolve(Buffer.concat(chunks)));
    s.on("error", reject);
  });
}

/**
 * Sends text to TO:port from socket s, again every 100 ms (a datagram may be lost, the
 * other side may be slow to start) for up to 5 s in all: the first reply that contains the
 * text (a late reply to an earlier request on the same socket is not taken for it) and
 * where it came from, or undefined.
 */
export function udpRequest(s: dgram.Socket, port: number, text: string, to = "127.0.0.1"): Promise<{ text: string; from: dgram.RemoteInfo } | undefined> {
  return new Promise((resolve) => {
    const send = () => s.send(text, port, to);
    const again = setInterval(send, 100);
    const deadline = setTimeout(() => done(undefined), 5000);
    const onMessage = (m: Buffer, from: dgram.RemoteInfo) => {
      if (m.toString().includes(text)) done({ text: m.toString(), from });
    };
    function done(r: { text: string; from: dgram.RemoteInfo } | undefined) {
      clearInterval(again);
      clearTimeout(deadline);
      s.off("message", onMessage);
      resolve(r);
    }
    s.on("message", onMessage);
    send();
  });
}

/** One request to 127.0.0.1:port from a socket of its own (udpRequest): the reply, or undefined. */
export async function askUdp(port: number, text: string): Promise<string | undefined> {
  const s = dgram.createSocket("udp4");
  try {
    return (await udpRequest(s, port, text))?.text;
  } finally {
    s.close();
  }
}
