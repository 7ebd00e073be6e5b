// A real OpenID Connect provider (the certified `oidc-provider` package) on loopback, for the single sign-on
// tests only: `node provider.mjs CONFIG.json`. Its sign-in page accepts any login and password (the
// package's development pages); the login is the account's subject. The accounts' claims are read from
// the JSON file named in the configuration at every request, so a test can change an e-mail mid-way.
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
  }],
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
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  pkce: { required: () => true },
});
provider.proxy = false;
for (const event of ['server_error', 'authorization.error', 'grant.error', 'end_session.error']) {
  provider.on(event, (ctx, error) => process.stderr.write(`${event}: ${error.stack || error}\n`));
}

const server = provider.listen(config.port, '127.0.0.1', () => {
  process.stdout.write(`listening on ${config.issuer}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
