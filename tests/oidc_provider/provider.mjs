// A real OpenID Connect provider (the certified `oidc-provider` package) on loopback, for the single sign-on
// tests only: `node provider.mjs CONFIG.json`. Its sign-in page accepts any login and password (the
// package's development pages); the login is the account's subject. The accounts' claims are read from
// the JSON file named in the configuration at every request, so a test can change an e-mail mid-way.
// With `backchannel_logout_uri` in the configuration, ending a session at the provider posts a logout token
// there (Back-Channel Logout 1.0); with `jwks`, the provider signs with the test's own key set.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = () => JSON.parse(readFileSync(config.accounts_file, 'utf8'));

const provider = new Provider(config.issuer, {
  clients: [{
    client_id: config.client_id,
    client_secret: config.client_secret,
    redirect_uris: config.redirect_uris,
    post_logout_redirect_uris: config.post_logout_redirect_uris,
    response_types: ['code'],
    grant_types: ['authorization_code'],
    ...(config.backchannel_logout_uri ? {
      backchannel_logout_uri: config.backchannel_logout_uri,
      backchannel_logout_session_required: config.backchannel_logout_session_required ?? true,
    } : {}),
  }],
  ...(config.jwks ? { jwks: config.jwks } : {}),
  async findAccount(ctx, id) {
    const account = accounts()[id];
    if (!account) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...account }; } };
  },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'employee_number'],
    groups: ['groups'],
  },
  cookies: { keys: [config.cookie_key] },
  features: {
    devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true }, backchannelLogout: { enabled: true },
  },
  pkce: { required: () => true },
  // The package refuses to call loopback addresses (its guard against server-side request forgery), and
  // Brightline runs on loopback here: the test provider calls it without that guard.
  fetch: (url, { dispatcher, ...options }) => globalThis.fetch(url, options),
});
provider.proxy = false;
for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error', 'backchannel.error']) {
  provider.on(event, (ctx, error) => process.stderr.write(`${event}: ${error.stack || error} ${error.error_description ?? ""} ${error.cause?.stack ?? error.cause ?? ""}\n`));
}

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${config.issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
