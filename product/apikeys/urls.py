from django.urls import path

from product.apikeys import views

app_name = "apikeys"
urlpatterns = [
    path("", views.key_list, name="key-list"),
    path("new/", views.key_create, name="key-create"),
    path("<uuid:pk>/revoke/", views.key_revoke, name="key-revoke"),
]
