"""A small cookie-keeping HTTP client for end-to-end tests against the live server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from typing import Any


class Browserless:
    """Logs in like the frontend does (CSRF cookie, then JSON login) and calls the JSON API."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def cookie(self, name: str) -> str:
        return next(c.value for c in self.cookies if c.name == name)

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if method not in {"GET", "HEAD"}:
            req.add_header("X-CSRFToken", self.cookie("csrftoken"))
            req.add_header("Referer", self.base_url + "/")
        try:
            with self.opener.open(req, timeout=30) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        try:
            return status, json.loads(raw) if raw else None
        except json.JSONDecodeError:
            return status, raw

    def login(self, username: str, password: str) -> dict:
        self.request("GET", "/api/auth/csrf/")
        status, body = self.request("POST", "/api/auth/login/", {"username": username, "password": password})
        assert status == 200, body
        return body

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.cookies)
