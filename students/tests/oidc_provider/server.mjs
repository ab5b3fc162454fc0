// A real OpenID Connect provider (panva's oidc-provider, OpenID Certified) on a free loopback
// port, for the single sign-on tests. It prints "ready <issuer>" once it listens.
//
// Its sign-in page is the library's own (devInteractions): any login name is accepted, and the
// account's claims come from ACCOUNTS, e.g. {"ada": {"email": "ada@uni.example",
// "email_verified": true, "groups": ["examiners"]}}. Consent is not asked: the test client is
// first party, as the app is for an institution's own provider.
import http from "node:http";
import Provider from "oidc-provider";

const accounts = JSON.parse(process.env.ACCOUNTS || "{}");
const server = http.createServer();

server.listen(0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: process.env.CLIENT_ID,
        client_secret: process.env.CLIENT_SECRET,
        redirect_uris: process.env.REDIRECT_URIS.split(","),
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name", "given_name", "family_name", "preferred_username"],
      groups: ["groups"],
    },
    scopes: ["openid", "email", "profile", "groups"],
    cookies: { keys: ["a test provider's cookie key"] },
    async findAccount(ctx, id) {
      return { accountId: id, claims: async () => ({ sub: id, ...(accounts[id] || {}) }) };
    },
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope("openid email profile groups");
      await grant.save();
      return grant;
    },
  });
  server.on("request", provider.callback());
  console.log(`ready ${issuer}`);
});

process.on("SIGTERM", () => server.close(() => process.exit(0)));
