import { createHmac, timingSafeEqual } from 'node:crypto';

/** Why a link was refused, in S3's words (the codes S3 answers a bad presigned URL with). */
export class LinkRefused extends Error {
  constructor(readonly code: 'AccessDenied' | 'SignatureDoesNotMatch', message: string) {
    super(message);
  }
}

/**
 * Presigned links for what omicsd itself serves (a workflow's definition and readme; docs/workflows.md,
 * "Definition and readme links"), in S3's query-string form: `?Expires=<unix seconds>&Signature=…`,
 * the signature an HMAC-SHA256 of the method, expiry and path under a secret kept in the store. A
 * link works with any HTTP client until it expires; changing any part of it breaks it. (S3's SigV4
 * form would not fit: GetWorkflow's `definition` and `readme` hold at most 256 characters.)
 */
export class LinkSigner {
  constructor(private secret: string, private expiresIn: number, private now: () => number = Date.now) {}

  private signature(path: string, expires: number) {
    return createHmac('sha256', this.secret).update(`GET\n${expires}\n${path}`).digest('base64url');
  }

  /** A link to `path` under `baseUrl`, valid for the configured time from now. */
  sign(baseUrl: string, path: string): Promise<string> {
    const expires = Math.floor(this.now() / 1000) + this.expiresIn;
    return Promise.resolve(`${baseUrl}${path}?Expires=${expires}&Signature=${this.signature(path, expires)}`);
  }

  /** Checks a link as received (its raw path and query); throws LinkRefused when it is expired or not ours. */
  verify(path: string, query: Record<string, string | string[] | undefined>): void {
    const expiresText = query.Expires;
    const signature = query.Signature;
    if (typeof expiresText !== 'string' || !/^[0-9]{1,12}$/.test(expiresText) || typeof signature !== 'string') {
      throw new LinkRefused('AccessDenied', 'Query-string authentication requires the Signature and Expires parameters');
    }
    const expires = Number(expiresText);
    const want = Buffer.from(this.signature(path, expires));
    const got = Buffer.from(signature);
    if (want.length !== got.length || !timingSafeEqual(want, got)) {
      throw new LinkRefused('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided');
    }
    if (expires * 1000 < this.now()) throw new LinkRefused('AccessDenied', 'Request has expired');
  }
}
