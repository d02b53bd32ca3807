from __future__ import annotations

from django.urls import path

from web.consumers import ClassConsumer, DashboardConsumer

websocket_urlpatterns = [
    path("ws/c/<slug:cluster>/", DashboardConsumer.as_asgi()),
    path("ws/classes/<slug:code>/", ClassConsumer.as_asgi()),
]
