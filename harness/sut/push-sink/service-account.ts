import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';

/**
 * A Google service account for the sink's FCM project, in the JSON shape of a downloaded key file. The sink
 * keeps the public key to verify OAuth assertions; senders read `private_key` from the 0600 file.
 */
export interface ServiceAccount {
  type: 'service_account';
  project_id: string;
  private_key_id: string;
  private_key: string;
  client_email: string;
  client_id: string;
  auth_uri: string;
  token_uri: string;
  auth_provider_x509_cert_url: string;
  client_x509_cert_url: string;
  universe_domain: string;
}

export function createServiceAccount(
  projectId: string,
  tokenUri: string,
): { account: ServiceAccount; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = `firebase-adminsdk-bench@${projectId}.iam.gserviceaccount.com`;
  const account: ServiceAccount = {
    type: 'service_account',
    project_id: projectId,
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: clientEmail,
    client_id: BigInt(`0x${randomBytes(8).toString('hex')}`)
      .toString()
      .padStart(21, '1'),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: tokenUri,
    auth_provider_x509_cert_url: 'https://www.googleapis.com/oauth2/v1/certs',
    client_x509_cert_url: `https://www.googleapis.com/robot/v1/metadata/x509/${encodeURIComponent(clientEmail)}`,
    universe_domain: 'googleapis.com',
  };
  return { account, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function writeServiceAccount(file: string, account: ServiceAccount): void {
  writeFileSync(file, `${JSON.stringify(account, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600); // writeFileSync keeps the mode of an existing file
}

/** A stable 12-digit project number for `projects/{number}` URLs. */
export function projectNumber(projectId: string): string {
  const n = createHash('sha256').update(`number:${projectId}`).digest().readUIntBE(0, 6) % 900_000_000_000;
  return String(100_000_000_000 + n);
}
