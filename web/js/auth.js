// Signing in to the Cognito user pool straight from the page, and keeping the ID token fresh.
//
// The ID and access tokens live only in this module's memory. The refresh token
// is kept in sessionStorage, so a reload in the same tab signs in again without
// the password; it is gone when the tab closes or the user signs out. Nothing
// is written to localStorage or to a cookie (docs/security.md).

const REFRESH_KEY = "luthier-cam.refresh";
// Renew this long before the ID token runs out, so no call leaves with a token about to lapse.
const MARGIN_MS = 2 * 60 * 1000;

export class SignInError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

// The claims of a JWT, unverified: for showing who is signed in; the API verifies the token itself.
export function claims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(decodeURIComponent(Array.from(atob(part), (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("")));
  } catch {
    return {};
  }
}

const MESSAGES = {
  NotAuthorizedException: "The user name or password is wrong.",
  UserNotFoundException: "The user name or password is wrong.",
  PasswordResetRequiredException: "This user must reset their password first.",
  UserNotConfirmedException: "This user has not been confirmed yet.",
  TooManyRequestsException: "Too many sign-in attempts; wait a minute and try again.",
};

export class Auth {
  constructor(cognito, storage = window.sessionStorage) {
    this.clientId = cognito.clientId;
    // Locally the emulator's address; deployed, Cognito's own regional endpoint.
    this.endpoint = String(cognito.endpoint || `https://cognito-idp.${cognito.region}.amazonaws.com`).replace(/\/+$/, "") + "/";
    this.storage = storage;
    this.idToken = null;
    this.expiresAt = 0;
    this.timer = null;
    this.onSignedOut = () => {};
  }

  get signedIn() { return Boolean(this.idToken); }

  get user() {
    const c = this.idToken ? claims(this.idToken) : {};
    return { username: c["cognito:username"] || c.username || "", sub: c.sub || "", groups: c["cognito:groups"] || [] };
  }

  async initiate(flow, parameters) {
    let reply;
    try {
      reply = await fetch(this.endpoint, {
        method: "POST",
        headers: {
          "Content-Type": "application/x-amz-json-1.1",
          "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
        },
        body: JSON.stringify({ AuthFlow: flow, ClientId: this.clientId, AuthParameters: parameters }),
      });
    } catch (err) {
      throw new SignInError("unreachable", `Cannot reach the sign-in service: ${err.message}`);
    }
    const body = await reply.json().catch(() => ({}));
    if (!reply.ok) {
      const type = String(body.__type || "").split("#").pop();
      throw new SignInError(type || `http_${reply.status}`, MESSAGES[type] || body.message || `Sign-in failed (HTTP ${reply.status}).`);
    }
    if (!body.AuthenticationResult) {
      throw new SignInError(body.ChallengeName || "challenge", "This account needs a step the page does not offer (a new password or MFA).");
    }
    return body.AuthenticationResult;
  }

  keep(result) {
    this.idToken = result.IdToken;
    this.expiresAt = Date.now() + (Number(result.ExpiresIn) || 3600) * 1000;
    if (result.RefreshToken) this.storage.setItem(REFRESH_KEY, result.RefreshToken);
    clearTimeout(this.timer);
    // Renew ahead of time even while the page sits idle, so the next click never waits on it.
    this.timer = setTimeout(() => this.refresh().catch(() => this.signOut(true)), Math.max(this.expiresAt - Date.now() - MARGIN_MS, 1000));
  }

  async signIn(username, password) {
    this.keep(await this.initiate("USER_PASSWORD_AUTH", { USERNAME: username, PASSWORD: password }));
  }

  async refresh() {
    const token = this.storage.getItem(REFRESH_KEY);
    if (!token) throw new SignInError("signed_out", "Sign in to continue.");
    try {
      this.keep(await this.initiate("REFRESH_TOKEN_AUTH", { REFRESH_TOKEN: token }));
    } catch (err) {
      this.storage.removeItem(REFRESH_KEY);
      throw err;
    }
  }

  // A reload in the same tab: back in with the kept refresh token, or false.
  async restore() {
    if (!this.storage.getItem(REFRESH_KEY)) return false;
    try {
      await this.refresh();
      return true;
    } catch {
      return false;
    }
  }

  async token() {
    if (!this.idToken) throw new SignInError("signed_out", "Sign in to continue.");
    if (Date.now() > this.expiresAt - MARGIN_MS) await this.refresh();
    return this.idToken;
  }

  signOut(expired = false) {
    clearTimeout(this.timer);
    this.idToken = null;
    this.expiresAt = 0;
    this.storage.removeItem(REFRESH_KEY);
    this.onSignedOut(expired);
  }
}
