from django.urls import path

from product.evals import views

app_name = "evals"
urlpatterns = [
    path("", views.home, name="home-page"),
    path("feedback/", views.feedback_list, name="feedback-list"),
    path(
        "feedback/<uuid:pk>/dataset-items/",
        views.feedback_add_to_dataset,
        name="feedback-add-to-dataset",
    ),
    path("datasets/", views.dataset_list, name="dataset-list"),
    path("datasets/<uuid:pk>/", views.dataset_detail, name="dataset-detail"),
    path("datasets/<uuid:pk>/items/", views.dataset_item_create, name="dataset-item-create"),
    path("datasets/<uuid:pk>/import/", views.dataset_import, name="dataset-import"),
    path("datasets/<uuid:pk>/export/", views.dataset_export, name="dataset-export"),
    path("items/<uuid:pk>/edit/", views.item_update, name="item-update"),
    path("items/<uuid:pk>/delete/", views.item_delete, name="item-delete"),
]
