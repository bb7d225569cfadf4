"""Local operator sign-in: a stand-in for the Cognito user pool the console uses in AWS.

`ventanilla up` creates one local operator per group of the template's user pool (agente: agent, supervisora:
supervisor, auditora: auditor) with a random password kept in <state>/keys.json (`ventanilla keys` prints them as
`signin_agente=...`). The console signs in through the same call it makes to Cognito (`InitiateAuth`,
USER_PASSWORD_AUTH) at /__ventanilla/cognito, and gets an ID token; the local gateway checks it on every route
with a Cognito authorizer and passes its claims to the function as API Gateway does. No MFA locally.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt

ISSUER = "ventanilla-local"
CLIENT_ID = "local-console"
TOKEN_SECONDS = 3600
LOCAL_USERS = {"agent": "agente", "supervisor": "supervisora", "auditor": "auditora"}
GROUP_TYPE = "AWS::Cognito::UserPoolGroup"


@dataclass(frozen=True)
class LocalOperator:
    username: str
    password: str
    group: str


class LocalSignIn:
    def __init__(self, operators: list[LocalOperator], signing_key: str) -> None:
        self.operators = {o.username: o for o in operators}
        self._key = signing_key

    @classmethod
    def for_template(cls, resources: dict[str, Any], state_dir: Path) -> LocalSignIn:
        """One operator per user-pool group in the template; passwords and the signing key kept in keys.json."""
        groups = [r["Properties"]["GroupName"] for r in resources.values() if r.get("Type") == GROUP_TYPE]
        path = state_dir / "keys.json"
        saved = json.loads(path.read_text()) if path.exists() else {}
        operators = []
        for group in groups:
            username = LOCAL_USERS.get(group, group)
            entry = saved.setdefault(f"signin_{username}", {"id": group, "value": secrets.token_urlsafe(12)})
            operators.append(LocalOperator(username, str(entry["value"]), group))
        key = saved.setdefault("signin_signing_key", {"id": "local-jwt", "value": secrets.token_urlsafe(32)})
        path.write_text(json.dumps(saved, indent=2, sort_keys=True))
        path.chmod(0o600)
        return cls(operators, str(key["value"]))

    def token_for(self, username: str) -> str:
        operator = self.operators[username]
        now = int(time.time())
        claims = {
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ventanilla-local/{username}")),
            "cognito:username": username,
            "cognito:groups": [operator.group],
            "token_use": "id",
            "aud": CLIENT_ID,
            "iss": ISSUER,
            "iat": now,
            "auth_time": now,
            "exp": now + TOKEN_SECONDS,
        }
        return jwt.encode(claims, self._key, algorithm="HS256")

    def initiate_auth(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Cognito's InitiateAuth (USER_PASSWORD_AUTH), answered as Cognito answers it."""
        parameters = body.get("AuthParameters") or {}
        if body.get("AuthFlow") != "USER_PASSWORD_AUTH" or body.get("ClientId") != CLIENT_ID:
            return 400, {"__type": "InvalidParameterException", "message": "USER_PASSWORD_AUTH on the local client"}
        operator = self.operators.get(str(parameters.get("USERNAME", "")))
        if operator is None or not secrets.compare_digest(operator.password, str(parameters.get("PASSWORD", ""))):
            return 400, {"__type": "NotAuthorizedException", "message": "Incorrect username or password."}
        token = self.token_for(operator.username)
        result = {"IdToken": token, "AccessToken": token, "ExpiresIn": TOKEN_SECONDS, "TokenType": "Bearer"}
        return 200, {"AuthenticationResult": result, "ChallengeParameters": {}}

    def claims(self, authorization: str | None) -> dict[str, str] | None:
        """The token's claims as API Gateway passes them (every value a string), or None if it is not valid."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        if not token:
            return None
        try:
            decoded = jwt.decode(token, self._key, algorithms=["HS256"], audience=CLIENT_ID, issuer=ISSUER)
        except jwt.PyJWTError:
            return None
        return {name: ",".join(value) if isinstance(value, list) else str(value) for name, value in decoded.items()}
