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
    # --- runs ---
    path("runs/", views.run_list, name="run-list"),
    path("runs/new/", views.run_create, name="run-create"),
    path("runs/<uuid:pk>/", views.run_detail, name="run-detail"),
    path("runs/<uuid:pk>/cancel/", views.run_cancel, name="run-cancel"),
    path("runs/<uuid:pk>/resume/", views.run_resume, name="run-resume"),
    path("runs/<uuid:pk>/rerun/", views.run_rerun, name="run-rerun"),
    path("compare/", views.comparison, name="run-compare"),
]
