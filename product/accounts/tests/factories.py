from __future__ import annotations

from typing import Any

import factory
from allauth.account.models import EmailAddress

from product.accounts.models import Membership, User, Workspace

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("first_name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified_email(obj: User, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Workspace {n}")

    @factory.post_generation
    def owner(obj: Workspace, create: bool, extracted: User | None, **kwargs: Any) -> None:  # noqa: N805
        if create and extracted is not None:
            obj.created_by = extracted
            obj.save(update_fields=["created_by"])
            Membership.objects.create(workspace=obj, user=extracted, role=Membership.Role.OWNER)
