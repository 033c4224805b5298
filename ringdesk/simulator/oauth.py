"""OAuth 2.0 as the platform does it: the sign-in page, the token endpoint (four grants) and revocation.

Error codes: `OAU-109` (redirect URI mismatch), `OAU-123` (client authentication required), `OAU-140` (wrong
credentials), `OAU-153` (invalid client), `OAU-210`/`OAU-211`/`OAU-213` (token expired/revoked/not found) and
`OAU-251` (grant not allowed) are the platform's. Three the platform does not document are the simulator's
choice: `OAU-113` for an unknown, used or expired authorization code, `OAU-114` for a failed PKCE check and
`OAU-124` for a bad JWT assertion.

`POST /restapi/oauth/wstoken` (the push gateway's token) is here too, as the platform files it under OAuth;
unlike the rest it is an API call with a bearer token, rate group Auth and app permission `WebSocket`.

Client authentication: a public app sends `client_id` in the body, or HTTP Basic with an empty secret (as
the official SDKs do); a confidential app must send HTTP Basic with its secret. Every failed code exchange
consumes the code, so a verifier cannot be guessed by retrying; presenting a used code also revokes the
session it produced (RFC 6749 section 4.1.2).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import html
import json
import logging
import math
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ringdesk.simulator.app import RequestContext, api_endpoint
from ringdesk.simulator.push import WS_PATH
from ringdesk.simulator.responses import api_error, oauth_error
from ringdesk.simulator.scenario import ClientApp, User
from ringdesk.simulator.state import AuthCode, OAuthSession, subject_of

log = logging.getLogger("ringdesk.simulator")

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: The lifetimes a client may ask for (`access_token_ttl`, `refresh_token_ttl`), in the official
#: description's ranges: an access token lives 600 to 3600 s, a refresh token at most 30 days.
#: A request outside is brought into the range; shorter lifetimes, for tests, are set through
#: `/_sim/lifetimes` only.
ACCESS_TTL_RANGE = (600, 3600)
REFRESH_TTL_MAX = 2592000


# --- the sign-in page -----------------------------------------------------------------------------------


#: The sign-in page, where `/restapi/oauth/authorize` sends the browser (the platform's is on a
#: host of its own); its form posts back here.
LOGIN_PATH = "/login/"
#: What the sign-in page carries through from the authorization request to its form.
_CARRIED = ("client_id", "redirect_uri", "response_type", "state", "code_challenge", "code_challenge_method")


async def authorize(request: Request) -> Response:
    """The authorization endpoint, by GET or POST: a request that can go on is redirected (302) to
    the sign-in page, as the platform does; one that cannot gets 400, or goes back to the app's
    redirect URI with an error once that URI is known to be the app's. Counted in the Auth group
    per app and address; 429 when that is spent."""
    ctx = _ctx(request)
    params = dict(request.query_params) if request.method == "GET" else await read_form(request)
    client_id = params.get("client_id", "")
    ctx.entry.client_id = client_id or None
    decision = ctx.sim.limiter.check(("authorize", client_id, ctx.remote), "Auth")
    if decision is not None:
        ctx.entry.group = "Auth"
        if not decision.allowed:
            return _page(
                "Too many sign-in attempts",
                "<p class='error' id='error' role='alert'>Too many requests. Please wait a minute and "
                "try again.</p>",
                status=429,
                headers=decision.headers(),
            )
    checked = _check_authorize(ctx, params)
    if isinstance(checked, Response):
        response = checked
    else:
        page = {key: params[key] for key in (*_CARRIED, "login_hint") if key in params}
        response = RedirectResponse(f"{LOGIN_PATH}?{urlencode(page)}", status_code=302)
    if decision is not None:
        response.headers.update(decision.headers())
    return response


async def login_page(request: Request) -> Response:
    """The sign-in page (GET) and its form (POST): a code for the redirect URI, a Deny, or the page
    again with what went wrong."""
    ctx = _ctx(request)
    params = dict(request.query_params) if request.method == "GET" else await read_form(request)

    # Not counted again: the authorization request that led here was (the platform's sign-in page is
    # on a host of its own, outside the API's rate groups).
    ctx.entry.client_id = params.get("client_id") or None
    return await (_authorize_get(ctx, params) if request.method == "GET" else _authorize_post(ctx, params))


async def _authorize_get(ctx: RequestContext, params: dict[str, str]) -> Response:
    checked = _check_authorize(ctx, params)
    if isinstance(checked, Response):
        return checked
    return _login_form(ctx, params, login=params.get("login_hint", ""), extension="", error=None)


async def _authorize_post(ctx: RequestContext, params: dict[str, str]) -> Response:
    checked = _check_authorize(ctx, params)
    if isinstance(checked, Response):
        return checked
    client, redirect_uri = checked
    state = params.get("state")
    if params.get("action") == "deny":
        log.info("sign-in denied by the user for app %s", client.client_id)
        return _redirect_back(
            redirect_uri,
            {"error": "access_denied", "error_description": "The user denied access to the app"},
            state,
        )
    login, extension = params.get("login", "").strip(), params.get("extension", "").strip()
    user = find_user(ctx, login, extension, params.get("password", ""))
    if user is None:
        log.info("sign-in failed (wrong login, extension or password) for app %s", client.client_id)
        return _login_form(
            ctx, params, login=login, extension=extension, error="Wrong login, extension or password."
        )
    code = AuthCode(
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        owner=user.extension_id,
        challenge=params.get("code_challenge") or None,
        challenge_method=(params.get("code_challenge_method") or "S256")
        if params.get("code_challenge")
        else None,
        expires_at=ctx.sim.calls.now() + ctx.sim.scenario.lifetimes.auth_code,
    )
    value = ctx.sim.oauth.new_code(code)
    log.info("sign-in succeeded for extension %s, app %s", user.extension_number, client.client_id)
    return _redirect_back(redirect_uri, {"code": value}, state)


def _check_authorize(ctx: RequestContext, params: dict[str, str]) -> tuple[ClientApp, str] | Response:
    client = ctx.sim.scenario.client(params.get("client_id", ""))
    if client is None:
        return _error_page("OAU-153", "Invalid client: the app is not registered.", 400)
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri and len(client.redirect_uris) == 1:
        redirect_uri = client.redirect_uris[0]
    if redirect_uri not in client.redirect_uris:
        # Never redirect to an unregistered URI: that would hand the code to whoever asked.
        return _error_page("OAU-109", "Redirect URIs do not match.", 400)
    state = params.get("state")
    if params.get("response_type") != "code":
        return _redirect_back(
            redirect_uri,
            {"error": "unsupported_response_type", "error_description": "response_type must be 'code'"},
            state,
        )
    if "authorization_code" not in client.grant_types:
        return _redirect_back(
            redirect_uri,
            {"error": "unauthorized_client", "error_description": "Unauthorized for this grant type"},
            state,
        )
    challenge, method = params.get("code_challenge", ""), params.get("code_challenge_method", "")
    if challenge and method not in ("", "S256"):
        return _redirect_back(
            redirect_uri,
            {"error": "invalid_request", "error_description": "Only code_challenge_method=S256 is supported"},
            state,
        )
    if client.is_public and not challenge:
        return _redirect_back(
            redirect_uri,
            {"error": "invalid_request", "error_description": "A public app must send a PKCE code_challenge"},
            state,
        )
    return client, redirect_uri


def _redirect_back(redirect_uri: str, params: dict[str, str], state: str | None) -> Response:
    if state is not None:
        params = {**params, "state": state}
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + separator + urlencode(params), status_code=302)


def _login_form(
    ctx: RequestContext, params: dict[str, str], login: str, extension: str, error: str | None
) -> Response:
    e = html.escape
    client = ctx.sim.scenario.client(params.get("client_id", ""))
    app_name = client.name if client else params.get("client_id", "")
    hidden = "\n".join(
        f'<input type="hidden" name="{k}" value="{e(params[k])}">' for k in _CARRIED if k in params
    )
    error_html = f'<p class="error" id="error" role="alert">{e(error)}</p>' if error else ""
    hint = ""
    if ctx.sim.scenario.demo_mode:
        user = ctx.sim.scenario.account.users[0]
        hint = (
            '<div class="hint" id="demo-hint"><strong>Demo account</strong><br>'
            f"Phone number <code>{e(user.login)}</code>, extension <code>{e(user.extension_number)}</code>, "
            f"password <code>{e(user.password)}</code></div>"
        )
    body = f"""
<p class="app">Sign in to allow <strong>{e(app_name)}</strong> to use your account.</p>
{hint}
{error_html}
<form method="post" action="{LOGIN_PATH}" id="signin-form" autocomplete="off">
{hidden}
<label for="login">Phone number or email</label>
<input type="text" id="login" name="login" value="{e(login)}" required autofocus>
<label for="extension">Extension (optional)</label>
<input type="text" id="extension" name="extension" value="{e(extension)}">
<label for="password">Password</label>
<input type="password" id="password" name="password" required>
<div class="buttons">
<button type="submit" id="signin" name="action" value="signin">Sign in</button>
<button type="submit" id="deny" name="action" value="deny" formnovalidate>Deny</button>
</div>
</form>"""
    return _page("Sign in", body)


def _error_page(code: str, message: str, status: int) -> Response:
    body = f'<p class="error" id="error" role="alert">{html.escape(message)} ({html.escape(code)})</p>'
    return _page("Sign-in problem", body, status=status)


def _page(title: str, body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - RingCentral (simulator)</title>
<style>
:root {{ color-scheme: light dark; --bg: #f3f5f7; --card: #ffffff; --text: #1f2328; --muted: #5f6b7a;
        --field: #ffffff; --border: #b8bec6; --accent: #2f6fc4; --error: #b00020;
        --hint-bg: #fff6e5; --hint-border: #f0c36d; }}
@media (prefers-color-scheme: dark) {{
  :root {{ --bg: #1f2023; --card: #2b2d31; --text: #e6e6e6; --muted: #a8afb8; --field: #1f2023;
          --border: #5a6069; --error: #ff8a80; --hint-bg: #3a2c12; --hint-border: #7a5a1c; }}
}}
body {{ font: 15px/1.4 system-ui, "Segoe UI", "DejaVu Sans", sans-serif; background: var(--bg);
       color: var(--text); margin: 0; }}
main {{ max-width: 380px; margin: 48px auto; background: var(--card); padding: 24px 28px; border-radius: 10px;
       box-shadow: 0 1px 4px rgba(0,0,0,.15); }}
h1 {{ font-size: 1.3em; margin-top: 0; }}
label {{ display: block; margin: 12px 0 4px; font-size: .9em; color: var(--muted); }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box; padding: 8px; font: inherit;
    color: var(--text); background: var(--field); border: 1px solid var(--border); border-radius: 6px; }}
input:focus, button:focus {{ outline: 2px solid var(--accent); outline-offset: 1px; }}
.buttons {{ margin-top: 18px; display: flex; gap: 8px; }}
button {{ padding: 8px 18px; font: inherit; cursor: pointer; border-radius: 6px; color: var(--text);
         background: var(--card); border: 1px solid var(--border); }}
#signin {{ background: var(--accent); color: #fff; border-color: var(--accent); }}
.error {{ color: var(--error); }}
.hint {{ background: var(--hint-bg); border: 1px solid var(--hint-border); padding: 8px; border-radius: 6px;
        font-size: .9em; }}
</style></head>
<body><main><h1>{html.escape(title)}</h1>
{body}
</main></body></html>"""
    return HTMLResponse(document, status_code=status, headers=headers, media_type="text/html; charset=utf-8")


def find_user(ctx: RequestContext, login: str, extension: str, password: str) -> User | None:
    """The user these sign-in credentials belong to, or None (one answer for every kind of mismatch)."""
    digits = re.sub(r"\D", "", login)
    for user in ctx.sim.scenario.account.users:
        direct = {
            re.sub(r"\D", "", n.phone_number) for n in user.phone_numbers if n.usage_type == "DirectNumber"
        }
        by_login = bool(digits) and digits == re.sub(r"\D", "", user.login)
        by_email = "@" in login and login.lower() == user.email.lower()
        if extension:
            matches = (by_login or by_email) and extension == user.extension_number
        else:
            matches = (
                by_email or digits in direct or (by_login and user is _first_with_login(ctx, user.login))
            )
        if matches and password == user.password:
            return user
    return None


def _first_with_login(ctx: RequestContext, login: str) -> User:
    # Without an extension, a company number signs in its first (operator) extension, as the platform does.
    return next(u for u in ctx.sim.scenario.account.users if u.login == login)


# --- the token endpoint --------------------------------------------------------------------------------


@dataclass
class _ClientAuth:
    client: ClientApp | None
    client_id: str
    error: Response | None


async def token(request: Request) -> Response:
    ctx = _ctx(request)
    if not _is_form(request):
        return oauth_error(
            "invalid_request", "OAU-101", "Content type must be application/x-www-form-urlencoded", 415
        )
    form = await read_form(request)
    auth = _authenticate_client(ctx, request, form)
    ctx.entry.client_id = auth.client_id or None
    grant = form.get("grant_type", "")
    sim = ctx.sim

    owner: int | None = None
    subject = ctx.remote
    if grant == "password":
        login = re.sub(r"[^0-9a-z@.]", "", form.get("username", "").lower())
        subject = f"login:{login}:{form.get('extension', '')}"
    elif grant == JWT_GRANT and form.get("assertion"):
        jwt_user = _user_for_assertion(ctx, form["assertion"])
        owner = jwt_user.extension_id if jwt_user else None
        subject = f"jwt:{subject_of(form['assertion'])}"
    elif grant == "authorization_code" and form.get("code") in sim.oauth.codes:
        owner = sim.oauth.codes[form["code"]].owner
    elif grant == "refresh_token":
        refreshed = sim.oauth.by_refresh(form.get("refresh_token", ""))
        owner = refreshed.owner if refreshed else None
    if owner is not None:
        subject = f"user:{owner}"
    limited = _limit(ctx, ("token", auth.client_id, subject))
    if limited is not None:
        return limited
    if auth.error is not None:
        return auth.error
    client = auth.client
    assert client is not None

    if grant not in ("authorization_code", "refresh_token", JWT_GRANT, "password"):
        return oauth_error(
            "unsupported_grant_type", "OAU-250", f"Unsupported grant type: {grant or '(none)'}"
        )
    if grant not in client.grant_types or (grant == "password" and not sim.scenario.password_grant_enabled):
        return oauth_error("unauthorized_client", "OAU-251", "Unauthorized for this grant type")

    refused = _refuse_lifetimes(form)
    if refused is not None:
        return refused
    if grant == "authorization_code":
        result = _grant_code(ctx, client, form)
    elif grant == "refresh_token":
        result = _grant_refresh(ctx, client, form)
    elif grant == JWT_GRANT:
        result = _grant_jwt(ctx, client, form)
    else:
        result = _grant_password(ctx, client, form)
    if isinstance(result, Response):
        log.info("token request refused (%s grant, app %s)", grant, client.client_id)
        return result
    ctx.entry.owner = result.owner
    log.info("tokens issued (%s grant) to extension id %s, app %s", grant, result.owner, client.client_id)
    return _token_response(ctx, result)


def _grant_code(ctx: RequestContext, client: ClientApp, form: dict[str, str]) -> OAuthSession | Response:
    oauth = ctx.sim.oauth
    code = oauth.codes.get(form.get("code", ""))
    if code is None:
        return oauth_error("invalid_grant", "OAU-113", "Authorization code is invalid")
    if code.used:
        if code.session_id and code.session_id in oauth.sessions:
            oauth.revoke(oauth.sessions[code.session_id])
        return oauth_error("invalid_grant", "OAU-113", "Authorization code has already been used")
    code.used = True
    if ctx.sim.calls.now() >= code.expires_at:
        return oauth_error("invalid_grant", "OAU-113", "Authorization code has expired")
    if code.client_id != client.client_id:
        return oauth_error("invalid_grant", "OAU-113", "Authorization code was issued to another app")
    if form.get("redirect_uri", "") != code.redirect_uri:
        return oauth_error("invalid_grant", "OAU-109", "Redirect URIs do not match", parameter="redirect_uri")
    if code.challenge is not None:
        verifier = form.get("code_verifier", "")
        if not verifier:
            return oauth_error(
                "invalid_grant", "OAU-114", "code_verifier is required", parameter="code_verifier"
            )
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != code.challenge:
            return oauth_error("invalid_grant", "OAU-114", "code_verifier does not match the code_challenge")
    session = _issue(ctx, client, code.owner, form)
    code.session_id = session.id
    return session


def _grant_refresh(ctx: RequestContext, client: ClientApp, form: dict[str, str]) -> OAuthSession | Response:
    oauth = ctx.sim.oauth
    value = form.get("refresh_token", "")
    session = oauth.by_refresh(value)
    if session is None:
        if oauth.refresh_was_known(value):
            return oauth_error("invalid_grant", "OAU-211", "Token is revoked")
        return oauth_error("invalid_grant", "OAU-213", "Token not found")
    if session.client_id != client.client_id:
        return oauth_error("invalid_grant", "OAU-213", "Token not found")
    if oauth.refresh_expired(session):
        oauth.revoke(session)
        return oauth_error("invalid_grant", "OAU-210", "Token expired")
    if value != session.refresh_token:
        # The token the last refresh used: within its grace the answer is that refresh's, again
        # (its answer may have been lost); after it, the token is dead like any used one.
        lifetimes = ctx.sim.scenario.lifetimes
        grace = (lifetimes.refresh_grace_unused, lifetimes.refresh_grace_after_use)
        if not oauth.in_grace(session, value, unused=grace[0], after_use=grace[1]):
            return oauth_error("invalid_grant", "OAU-211", "Token is revoked")
        if not oauth.access_expired(session):
            return session
        # The new access token has expired meanwhile (a short lifetime, or the control API): the
        # same answer again would be of no use, so this refresh goes on as a new one.
    access_ttl, refresh_ttl = _ttls(ctx, form)
    return oauth.rotate(session, access_ttl, refresh_ttl)


def _grant_jwt(ctx: RequestContext, client: ClientApp, form: dict[str, str]) -> OAuthSession | Response:
    assertion = form.get("assertion", "")
    if not assertion:
        return oauth_error(
            "invalid_request", "OAU-101", "Parameter [assertion] is required", parameter="assertion"
        )
    user = _user_for_assertion(ctx, assertion)
    if user is None:
        return oauth_error("invalid_grant", "OAU-124", "Invalid assertion: the JWT is not a valid credential")
    return _issue(ctx, client, user.extension_id, form)


def _grant_password(ctx: RequestContext, client: ClientApp, form: dict[str, str]) -> OAuthSession | Response:
    user = find_user(ctx, form.get("username", ""), form.get("extension", ""), form.get("password", ""))
    if user is None:
        return oauth_error("invalid_grant", "OAU-140", "Invalid resource owner credentials")
    return _issue(ctx, client, user.extension_id, form)


def _user_for_assertion(ctx: RequestContext, assertion: str) -> User | None:
    """The user whose registered JWT credential this is; a well-formed but unregistered JWT is refused too."""
    parts = assertion.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    exp = payload.get("exp")
    if isinstance(exp, int | float) and exp < time.time():
        return None
    return next((u for u in ctx.sim.scenario.account.users if u.jwt_credential == assertion), None)


def _issue(ctx: RequestContext, client: ClientApp, owner: int, form: dict[str, str]) -> OAuthSession:
    access_ttl, refresh_ttl = _ttls(ctx, form)
    return ctx.sim.oauth.issue(
        client.client_id,
        owner,
        " ".join(client.permissions),
        access_ttl,
        refresh_ttl,
        cap=ctx.sim.scenario.sessions_per_app_and_user,
    )


def _asked_lifetime(form: dict[str, str], key: str) -> str | None:
    # The JavaScript SDK sends both fields empty when its caller asks for nothing: not asked.
    value = form.get(key, "").strip()
    return value or None


def _refuse_lifetimes(form: dict[str, str]) -> Response | None:
    """A lifetime asked for that is no whole number of seconds is refused, not ignored; so is a
    refresh token lifetime of 0 or less. An access token lifetime of 0 or less is brought up to the
    shortest (the JavaScript SDK asks for -1 when it renews after a 401, and the platform serves it)."""
    for key in ("access_token_ttl", "refresh_token_ttl"):
        asked = _asked_lifetime(form, key)
        whole = asked is not None and re.fullmatch(r"-?[0-9]{1,10}", asked) is not None
        if asked is not None and not (whole and (key == "access_token_ttl" or int(asked) > 0)):
            return oauth_error(
                "invalid_request", "OAU-101", f"Parameter [{key}] value is invalid", parameter=key
            )
    return None


def _ttls(ctx: RequestContext, form: dict[str, str]) -> tuple[float, float]:
    """The lifetimes of tokens issued now: the app's (the scenario's), or shorter where the client
    asks (the SDKs send access_token_ttl/refresh_token_ttl), brought into the published ranges."""
    lifetimes = ctx.sim.scenario.lifetimes
    access, refresh = lifetimes.access_token, lifetimes.refresh_token
    asked_access, asked_refresh = (
        _asked_lifetime(form, "access_token_ttl"),
        _asked_lifetime(form, "refresh_token_ttl"),
    )
    if asked_access is not None:
        low, high = ACCESS_TTL_RANGE
        access = min(access, max(low, min(high, int(asked_access))))
    if asked_refresh is not None:
        refresh = min(refresh, REFRESH_TTL_MAX, int(asked_refresh))
    return access, refresh


def _token_response(ctx: RequestContext, session: OAuthSession) -> Response:
    now = ctx.sim.calls.now()
    body = {
        "access_token": session.access_token,
        "token_type": "bearer",
        "expires_in": max(0, math.floor(session.access_expires_at - now)),
        "refresh_token": session.refresh_token,
        "refresh_token_expires_in": max(0, math.floor(session.refresh_expires_at - now)),
        "scope": session.scope,
        "owner_id": str(session.owner),
        "endpoint_id": session.endpoint_id,
        "session_id": session.id,
    }
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    response = JSONResponse(body, headers=headers)
    if ctx.rate is not None:
        response.headers.update(ctx.rate.headers())
    return response


def _authenticate_client(ctx: RequestContext, request: Request, form: dict[str, str]) -> _ClientAuth:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            client_id, _, secret = decoded.partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return _ClientAuth(
                None,
                "",
                oauth_error("invalid_client", "OAU-153", "Invalid client: malformed Basic credentials"),
            )
        client = ctx.sim.scenario.client(client_id)
        if client is None:
            return _ClientAuth(None, client_id, _invalid_client(client_id))
        if client.is_public:
            if secret:
                return _ClientAuth(client, client_id, _invalid_client(client_id))
            return _ClientAuth(client, client_id, None)
        if secret != client.client_secret:
            return _ClientAuth(client, client_id, _invalid_client(client_id))
        return _ClientAuth(client, client_id, None)
    client_id = form.get("client_id", "")
    if not client_id:
        error = oauth_error("invalid_client", "OAU-123", "Client authentication is required")
        return _ClientAuth(None, "", error)
    client = ctx.sim.scenario.client(client_id)
    if client is None:
        return _ClientAuth(None, client_id, _invalid_client(client_id))
    if not client.is_public:
        error = oauth_error("invalid_client", "OAU-123", "Client authentication is required")
        return _ClientAuth(client, client_id, error)
    return _ClientAuth(client, client_id, None)


def _invalid_client(client_id: str) -> Response:
    return oauth_error("invalid_client", "OAU-153", f"Invalid client: {client_id}", parameter="client_id")


# --- revocation -----------------------------------------------------------------------------------------


async def revoke(request: Request) -> Response:
    """RFC 7009: 200 whether or not the token was live; a live one ends its whole session."""
    ctx = _ctx(request)
    form = await read_form(request) if _is_form(request) else {}
    value = form.get("token") or request.query_params.get("token", "")
    auth = _authenticate_client(ctx, request, form)
    ctx.entry.client_id = auth.client_id or None
    oauth = ctx.sim.oauth
    session = (oauth.by_access(value) or oauth.by_refresh(value)) if value else None
    subject = f"user:{session.owner}" if session else ctx.remote
    limited = _limit(ctx, ("token", auth.client_id, subject))
    if limited is not None:
        return limited
    if auth.error is not None:
        return auth.error
    if not value:
        return oauth_error("invalid_request", "OAU-101", "Parameter [token] is required", parameter="token")
    if session is not None and auth.client is not None and session.client_id == auth.client.client_id:
        ctx.entry.owner = session.owner
        oauth.revoke(session)
        log.info("session of extension id %s revoked by app %s", session.owner, session.client_id)
    response = Response(status_code=200)
    if ctx.rate is not None:
        response.headers.update(ctx.rate.headers())
    return response


# --- WebSocket token -----------------------------------------------------------------------------------


@api_endpoint("Auth", "WebSocket")
async def wstoken(request: Request, ctx: RequestContext) -> Response:
    """A short-lived, single-use token for one push connection of the caller's OAuth session.

    Shaped as WsTokenResponse. The token belongs to that session: revoking the session closes the
    connections it opened.
    """
    assert ctx.session is not None
    value, ttl = ctx.sim.push.issue_token(ctx.session.id, ctx.session.owner, ctx.session.client_id)
    scheme, _, host = ctx.base_url.partition("://")
    uri = f"{'wss' if scheme == 'https' else 'ws'}://{host}{WS_PATH}"
    return JSONResponse({"ws_access_token": value, "uri": uri, "expires_in": ttl})


# --- helpers --------------------------------------------------------------------------------------------


def _limit(ctx: RequestContext, key: tuple[str, str, str]) -> Response | None:
    decision = ctx.sim.limiter.check(key, "Auth")
    if decision is None:
        return None
    ctx.entry.group = "Auth"
    ctx.rate = decision
    if decision.allowed:
        return None
    return api_error(429, "CMN-301", "Request rate exceeded", headers=decision.headers())


def _is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() in (
        "application/x-www-form-urlencoded",
        "",
    )


async def read_form(request: Request) -> dict[str, str]:
    body = await request.body()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return {}
    return dict(parse_qsl(text, keep_blank_values=True))


def _ctx(request: Request) -> RequestContext:
    from ringdesk.simulator.app import context

    return context(request)
