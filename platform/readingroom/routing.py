"""WebSocket routes."""

from django.urls import path

from readingroom.reading.consumers import GazeConsumer

websocket_urlpatterns = [
    path("ws/gaze/<int:session_id>/", GazeConsumer.as_asgi()),
]
