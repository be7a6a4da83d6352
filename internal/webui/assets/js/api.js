// The console's client of poseidon: the ADS API (AWS JSON 1.1 on POST /)
// and the console's own reads (POST /_poseidon/console), every call signed
// with SigV4 (aws4fetch, on WebCrypto) by the credentials kept in this
// tab's sessionStorage. The server decides the account from the signature,
// exactly as for the AWS CLI.
import { AwsClient } from '../vendor/aws4fetch.js';

const KEY = 'poseidon.console.credentials';
const ADS_TARGET = 'AWSPoseidonService_V2015_11_01.';
const CONSOLE_TARGET = 'PoseidonConsole.';

export class ApiError extends Error {
  constructor(type, message, status) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

export function credentials() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY));
  } catch {
    return null;
  }
}

export function saveCredentials(c) {
  sessionStorage.setItem(KEY, JSON.stringify(c));
  client = null;
}

export function clearCredentials() {
  sessionStorage.removeItem(KEY);
  client = null;
}

let health = null;

// serverInfo is the health check's answer ({strict, version, store}).
export async function serverInfo() {
  if (!health) {
    const res = await fetch('/_poseidon/health');
    health = await res.json();
  }
  return health;
}

let client = null;

function signer() {
  const c = credentials();
  if (!c) return null;
  if (!client) {
    client = new AwsClient({
      accessKeyId: c.accessKeyId,
      // Open mode checks no signature: a key without a secret still names
      // its account.
      secretAccessKey: c.secretAccessKey || 'unused-in-open-mode',
      service: 'discovery',
      region: c.region || 'us-west-2',
      retries: 1,
    });
  }
  return client;
}

// Errors that mean the credentials are wrong: the console asks again.
const AUTH_ERRORS = new Set(['UnrecognizedClientException', 'InvalidSignatureException', 'MissingAuthenticationTokenException',
  'IncompleteSignatureException', 'SignatureDoesNotMatch']);

async function post(path, target, body) {
  const url = new URL(path, location.origin).href;
  const init = {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': target },
    body: JSON.stringify(body || {}),
  };
  const s = signer();
  const res = s ? await s.fetch(url, init) : await fetch(url, init);
  const text = await res.text();
  let data = {};
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError('InvalidResponse', `${res.status}: ${text.slice(0, 200)}`, res.status);
    }
  }
  if (!res.ok) {
    const type = String(data.__type || 'Error').split('#').pop();
    const err = new ApiError(type, data.message || data.Message || res.statusText, res.status);
    if (AUTH_ERRORS.has(type)) {
      window.dispatchEvent(new CustomEvent('poseidon:auth', { detail: err }));
    }
    throw err;
  }
  return data;
}

// ads calls an ADS operation: ads('DescribeAgents', {maxResults: 100}).
export const ads = (op, body) => post('/', ADS_TARGET + op, body);

// consoleRead calls one of the console's own reads (GetServerUsage, GetNetworkMap).
export const consoleRead = (op, body) => post('/_poseidon/console', CONSOLE_TARGET + op, body);

// pageAll reads every page of a list operation: items(page) picks a page's
// items. At most maxPages pages.
export async function pageAll(op, body, items, maxPages = 1000) {
  const out = [];
  let token;
  for (let i = 0; i < maxPages; i++) {
    const page = await ads(op, { ...body, nextToken: token });
    out.push(...items(page));
    token = page.nextToken;
    if (!token) break;
  }
  return out;
}
