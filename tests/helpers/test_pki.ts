/**
 * A throw-away PKI for TLS tests, made with the `openssl` CLI (Debian's `openssl`, on every machine
 * of this kind) in a temporary directory: a test CA, a server certificate it signed for
 * `127.0.0.1` and `localhost`, a client certificate it signed (mutual TLS), and a second, unknown
 * CA with a server certificate of its own — what a client must refuse. EC P-256 keys: made in
 * milliseconds, unlike RSA, and accepted by Deno's TLS (rustls) on both sides.
 * @module
 */

/** PEM files of one PKI; `*File` are paths, the rest contents. */
export interface TestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  /** A CA the clients do not know, and a server certificate it signed for the same names. */
  readonly otherCaFile: string;
  readonly otherServerCert: string;
  readonly otherServerKey: string;
  /** Removes the directory. */
  remove(): Promise<void>;
}

/** Rejects when `openssl` cannot run. */
export async function probeOpenssl(): Promise<void> {
  const out = await new Deno.Command("openssl", { args: ["version"], stdout: "null" }).output();
  if (!out.success) throw new Error("openssl version failed");
}

/** Makes a PKI in a fresh temporary directory. */
export async function createTestPki(): Promise<TestPki> {
  const dir = await Deno.makeTempDir({ prefix: "pki_" });
  const path = (name: string) => `${dir}/${name}`;
  try {
    await caPair(dir, "ca", "pipeline test CA");
    await caPair(dir, "other-ca", "unknown test CA");
    const serverExt = "subjectAltName=IP:127.0.0.1,DNS:localhost\n" +
      "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n";
    await signed(dir, "server", "localhost", "ca", serverExt);
    await signed(dir, "other-server", "localhost", "other-ca", serverExt);
    await signed(
      dir,
      "client",
      "pipeline",
      "ca",
      "basicConstraints=CA:FALSE\n" +
        "keyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
    );
    const read = (name: string) => Deno.readTextFile(path(name));
    return {
      dir,
      caFile: path("ca.crt"),
      ca: await read("ca.crt"),
      serverCert: await read("server.crt"),
      serverKey: await read("server.key"),
      clientCertFile: path("client.crt"),
      clientKeyFile: path("client.key"),
      otherCaFile: path("other-ca.crt"),
      otherServerCert: await read("other-server.crt"),
      otherServerKey: await read("other-server.key"),
      remove: () => Deno.remove(dir, { recursive: true }).catch(() => {}),
    };
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function caPair(dir: string, name: string, cn: string): Promise<void> {
  await openssl(dir, [
    "req",
    "-x509",
    ...EC,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-subj",
    `/CN=${cn}`,
  ]);
}

async function signed(dir: string, name: string, cn: string, ca: string, ext: string) {
  await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
  await openssl(dir, [
    "req",
    ...EC,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.csr`,
    "-subj",
    `/CN=${cn}`,
  ]);
  await openssl(dir, [
    "x509",
    "-req",
    "-in",
    `${name}.csr`,
    "-CA",
    `${ca}.crt`,
    "-CAkey",
    `${ca}.key`,
    "-CAcreateserial",
    "-out",
    `${name}.crt`,
    "-days",
    "2",
    "-extfile",
    `${name}.ext`,
  ]);
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(out.stderr)}`);
  }
}
