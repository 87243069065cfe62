from django.urls import path

from product.evals import views

app_name = "evals"
urlpatterns = [
    path("", views.home, name="home"),
]
