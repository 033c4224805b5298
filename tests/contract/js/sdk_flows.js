// RingCentral's official JavaScript SDK, used unchanged, as its documentation shows, against a
// server given in the environment (RingDesk's simulator in the test). Prints one JSON object with
// what each flow saw; any failure ends the process with status 1 and the error on stderr.
//
//   SERVER=http://127.0.0.1:PORT CLIENT_ID=... REDIRECT_URI=... JWT=... LOGIN=... EXTENSION=...
//   PASSWORD=... DESTINATION=+1... node sdk_flows.js
'use strict';

const { SDK } = require('@ringcentral/sdk');
// The SDK's own HTTP library, so the browser's part runs on any Node the SDK runs on.
const fetch = require('node-fetch');

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const SERVER = env('SERVER');
const EXT = '/restapi/v1.0/account/~/extension/~';

function platformFor() {
  const sdk = new SDK({ server: SERVER, clientId: env('CLIENT_ID'), redirectUri: env('REDIRECT_URI') });
  return sdk.platform();
}

async function json(responsePromise) {
  return (await responsePromise).json();
}

async function accessToken(platform) {
  return (await platform.auth().data()).access_token;
}

// The browser's part of a sign-in: follow the authorize URL to the sign-in page, submit its form
// with the user's credentials, and read the code from where the page sends the browser back.
async function browserSignIn(authorizeUrl) {
  const redirect = await fetch(authorizeUrl, { redirect: 'manual' });
  if (redirect.status !== 302) throw new Error(`authorize answered ${redirect.status}`);
  const pageUrl = new URL(redirect.headers.get('location'), authorizeUrl);
  const page = await (await fetch(pageUrl)).text();
  const form = new URLSearchParams();
  for (const [, name, value] of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form.set(name, value.replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
  }
  form.set('login', env('LOGIN'));
  form.set('extension', env('EXTENSION'));
  form.set('password', env('PASSWORD'));
  form.set('action', 'signin');
  const action = page.match(/<form method="post" action="([^"]+)"/)[1];
  const back = await fetch(new URL(action, pageUrl), { method: 'POST', body: form, redirect: 'manual' });
  if (back.status !== 302) throw new Error(`the sign-in form answered ${back.status}`);
  const returned = new URL(back.headers.get('location'));
  return { code: returned.searchParams.get('code'), state: returned.searchParams.get('state') };
}

async function jwtFlows(seen) {
  const platform = platformFor();
  await platform.login({ jwt: env('JWT') });
  seen.jwt = { owner: (await platform.auth().data()).owner_id, loggedIn: await platform.loggedIn() };

  const extension = await json(platform.get(EXT));
  const phones = await json(platform.get(`${EXT}/forwarding-number`));
  seen.extension = extension.extensionNumber;
  seen.phones = phones.records.map((record) => record.phoneNumber);

  const placed = await json(platform.post(`${EXT}/ring-out`, {
    from: { phoneNumber: phones.records[0].phoneNumber },
    to: { phoneNumber: env('DESTINATION') },
    playPrompt: false,
  }));
  const status = await json(platform.get(`${EXT}/ring-out/${placed.id}`));
  const cancel = await platform.delete(`${EXT}/ring-out/${placed.id}`);
  seen.ringout = { placed: placed.status.callStatus, status: status.status.callStatus, cancel: cancel.status };

  const beforeRefresh = await accessToken(platform);
  await platform.refresh();
  const afterRefresh = await accessToken(platform);
  seen.refresh = { newToken: afterRefresh !== beforeRefresh };

  // The platform ends the access token early; the SDK meets a 401, refreshes and retries once.
  await fetch(`${SERVER}/_sim/tokens/expire`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ kind: 'access' }),
  });
  const retried = await json(platform.get(EXT));
  seen.retryAfter401 = { extension: retried.extensionNumber, newToken: (await accessToken(platform)) !== afterRefresh };

  await platform.logout();
  seen.logout = { loggedIn: await platform.loggedIn() };
}

async function pkceFlow(seen) {
  const platform = platformFor();
  const url = platform.loginUrl({ usePKCE: true, state: 'js-sdk-state' });
  const { code, state } = await browserSignIn(url);
  await platform.login({ code, redirect_uri: env('REDIRECT_URI') });
  const extension = await json(platform.get(EXT));
  seen.pkce = { state, extension: extension.extensionNumber, challengeSent: new URL(url).searchParams.has('code_challenge') };
  await platform.logout();
}

async function main() {
  const seen = {};
  await jwtFlows(seen);
  await pkceFlow(seen);
  process.stdout.write(`${JSON.stringify(seen)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
});
