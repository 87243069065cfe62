from django.urls import path

from product.knowledge import views

app_name = "knowledge"
urlpatterns = [path("", views.collection_list, name="collection-list")]
