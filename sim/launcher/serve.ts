/**
 * Serves a directory's files over HTTP on loopback (release tarballs and
 * their .sha256sum for the provider's download step). GET and HEAD only;
 * no listings; paths cannot leave the directory.
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";

export interface FileServer {
  readonly url: string;
  close(): Promise<void>;
}

export function serveDirectory(dir: string, host = "127.0.0.1", port = 0): Promise<FileServer> {
  const root = path.resolve(dir);
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = path.resolve(root, "." + rel);
    if ((req.method !== "GET" && req.method !== "HEAD") || !file.startsWith(root + path.sep)) {
      res.writeHead(req.method === "GET" || req.method === "HEAD" ? 403 : 405).end();
      return;
    }
    fs.stat(file, (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404, { "Content-Type": "text/plain" }).end("404 Not Found\n");
        return;
      }
      res.writeHead(200, { "Content-Length": st.size, "Content-Type": "application/octet-stream" });
      if (req.method === "HEAD") res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const addr = server.address() as { port: number };
      resolve({
        url: `http://${host}:${addr.port}`,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            server.closeAllConnections();
          }),
      });
    });
  });
}
