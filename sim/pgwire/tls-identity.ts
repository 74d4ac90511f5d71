/** Who a TLS client proved to be: the CN of a client certificate that verified against the server's CA. */
import * as tls from "tls";

export function certificateUser(socket: tls.TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const cn = socket.getPeerCertificate()?.subject?.CN;
  return typeof cn === "string" && cn !== "" ? cn : undefined;
}
