from django.urls import path

from product.accounts import views

app_name = "accounts"
urlpatterns = [
    path("switch/", views.workspace_switch, name="workspace-switch"),
]
