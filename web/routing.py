from __future__ import annotations

from django.urls import path

from web.consumers import DashboardConsumer

websocket_urlpatterns = [
    path("ws/c/<slug:cluster>/", DashboardConsumer.as_asgi()),
]
