// SHA-256 of bytes as lowercase hex (Web Crypto: the browser, its workers and Node ≥ 20 alike): identifies backbone
// files, downloads and imported runs.
export const hex = (buf: ArrayBuffer | Uint8Array): string => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return hex(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));
}
