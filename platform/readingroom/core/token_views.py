"""API tokens: list, create (shown once) and revoke. From a signed-in session only, never with a token."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from readingroom.core.exceptions import Forbidden, NotFound
from readingroom.core.models import ApiToken, User
from readingroom.core.tokens import token_create, token_revoke, tokens_visible


class TokenOutput(serializers.Serializer):
    id = serializers.IntegerField()
    user = serializers.CharField(source="user.username")
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)


class TokenCreatedOutput(TokenOutput):
    token = serializers.CharField(help_text="the token itself: shown this once, never again")


class TokenInput(serializers.Serializer):
    name = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)
    scopes = serializers.ListField(child=serializers.CharField(max_length=40), min_length=1, max_length=3)
    days = serializers.IntegerField(
        min_value=1, help_text="days until it expires (at most API_TOKEN_MAX_DAYS)"
    )
    user = serializers.CharField(
        required=False, default="", max_length=150, help_text="administrators: whose token (default: yours)"
    )


class TokenQuery(serializers.Serializer):
    user = serializers.CharField(required=False, default="", max_length=150)


def _require_session_login(request: Request) -> None:
    if isinstance(request.auth, ApiToken):
        raise Forbidden("tokens are managed from a signed-in session or the command line, not with a token")


class TokenListView(APIView):
    """Your tokens (administrators: everyone's, or one user's with ``?user=``); create one."""

    @extend_schema(parameters=[TokenQuery], responses=TokenOutput(many=True))
    def get(self, request: Request) -> Response:
        _require_session_login(request)
        query = TokenQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        tokens = tokens_visible(user=request.user, owner=query.validated_data["user"])
        return Response(TokenOutput(tokens, many=True).data)

    @extend_schema(request=TokenInput, responses={201: TokenCreatedOutput})
    def post(self, request: Request) -> Response:
        _require_session_login(request)
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        owner = request.user
        username = data.validated_data.pop("user")
        if username and username != request.user.get_username():
            if not request.user.has_role("admin"):
                raise Forbidden("only an administrator creates tokens for another user")
            owner = User.objects.filter(username=username).first()
            if owner is None:
                raise NotFound(f"user {username!r} does not exist")
        token, plain = token_create(user=owner, created_by=request.user, **data.validated_data)
        return Response({**TokenOutput(token).data, "token": plain}, status=status.HTTP_201_CREATED)


class TokenRevokeView(APIView):
    """Revoke one of your tokens (administrators: anyone's). It is refused from then on."""

    @extend_schema(request=None, responses=TokenOutput)
    def post(self, request: Request, token_id: int) -> Response:
        _require_session_login(request)
        return Response(TokenOutput(token_revoke(token_id=token_id, by=request.user)).data)
