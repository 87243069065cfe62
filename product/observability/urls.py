from django.urls import path

from product.observability import views

app_name = "observability"
urlpatterns = [
    path("", views.usage_page, name="usage-page"),
    path("usage/export.csv", views.usage_export, name="usage-export"),
]
