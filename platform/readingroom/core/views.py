"""Authentication endpoints for the single-page app."""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from readingroom.core import throttle
from readingroom.core.permissions import require_role
from readingroom.core.selectors import audit_events
from readingroom.core.services import audit_record


class UserOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


class MeOutput(serializers.Serializer):
    authenticated = serializers.BooleanField()
    user = UserOutput(allow_null=True)


class LoginInput(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})


def _user_payload(user) -> dict:
    roles = list(user.roles) + (["admin"] if user.is_superuser and "admin" not in user.roles else [])
    return {"id": user.pk, "username": user.username, "roles": roles}


@method_decorator(ensure_csrf_cookie, name="get")
class CsrfView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=inline_serializer("Csrf", {"detail": serializers.CharField()}))
    def get(self, request: Request) -> Response:
        return Response({"detail": "CSRF cookie set"})


class LoginView(APIView):
    """Log in with a user name and password.

    Needs the CSRF token like every other unsafe request (DRF checks it only for logged-in users, so a
    cross-site form could otherwise log a victim's browser into the attacker's account), and is limited
    per account and per client address (:mod:`readingroom.core.throttle`).
    """

    permission_classes = [AllowAny]

    @extend_schema(request=LoginInput, responses={200: UserOutput, 429: None})
    def post(self, request: Request) -> Response:
        SessionAuthentication().enforce_csrf(request)
        data = LoginInput(data=request.data)
        data.is_valid(raise_exception=True)
        username, address = data.validated_data["username"], request.META.get("REMOTE_ADDR", "")
        throttle.login_allowed_check(username=username, address=address)
        user = authenticate(request, **data.validated_data)
        if user is None:
            throttle.login_failure_record(username=username, address=address)
            audit_record(actor=None, action="auth.login_failed", detail={"username": username[:150],
                                                                         "address": address})  # fmt: skip
            return Response({"detail": "wrong username or password"}, status=status.HTTP_400_BAD_REQUEST)
        throttle.login_success_record(username=username)
        login(request, user)
        audit_record(actor=user, action="auth.login", detail={"address": address})
        return Response(_user_payload(user))


class LogoutView(APIView):
    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        audit_record(actor=request.user, action="auth.logout")
        logout(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """Who is signed in. Anonymous visitors get `{"authenticated": false, "user": null}`, not an error:
    the single-page app asks on every page load."""

    permission_classes = [AllowAny]

    @extend_schema(responses=MeOutput)
    def get(self, request: Request) -> Response:
        if not request.user.is_authenticated:
            return Response({"authenticated": False, "user": None})
        return Response({"authenticated": True, "user": _user_payload(request.user)})


class AuditEventOutput(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_name")
    action = serializers.CharField()
    target = serializers.CharField()
    detail = serializers.DictField()


class AuditQuery(serializers.Serializer):
    actor = serializers.CharField(required=False, default="", max_length=150)
    action = serializers.CharField(required=False, default="", max_length=64)
    target = serializers.CharField(required=False, default="", max_length=128)
    limit = serializers.IntegerField(required=False, default=200, min_value=1, max_value=1000)


class AuditLogView(APIView):
    """The audit log, newest first (administrators only)."""

    @extend_schema(parameters=[AuditQuery], responses=AuditEventOutput(many=True))
    def get(self, request: Request) -> Response:
        require_role(request, "admin")
        query = AuditQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(AuditEventOutput(audit_events(**query.validated_data), many=True).data)
