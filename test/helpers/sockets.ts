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

/** One datagram to 127.0.0.1:port from a socket of its own: the reply, or undefined after 300 ms. */
export async function askUdp(port: number, text: string): Promise<string | undefined> {
  const s = dgram.createSocket("udp4");
  try {
    const reply = new Promise<string>((r) => s.once("message", (m) => r(m.toString())));
    s.send(text, port, "127.0.0.1");
    return await Promise.race([reply, new Promise<undefined>((r) => setTimeout(r, 300))]);
  } finally {
    s.close();
  }
}
