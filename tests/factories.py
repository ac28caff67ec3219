"""Factories for test rows. Personas live in conftest.py."""

import itertools

import factory
from stdnum.cn import uscc

from complaints.models import App, Category, Company, Complaint
from complaints.services.intake import complaint_submit

_seq = itertools.count(1)


def credit_code(n: int) -> str:
    """A valid unified social credit code, distinct for each n."""
    body = f"91110000{n:09d}"
    return body + uscc.calc_check_digit(body)


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"测试科技有限公司{n}")
    name_en = factory.Sequence(lambda n: f"Test Tech Co. {n}")
    credit_code = factory.Sequence(lambda n: credit_code(n + 1))
    contact_email = factory.Sequence(lambda n: f"ops{n}@example.com")


class AppFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = App

    name = factory.Sequence(lambda n: f"测试应用{n}")
    package_name = factory.Sequence(lambda n: f"com.example.app{n}")
    operator = factory.SubFactory(CompanyFactory)


def category(code: str) -> Category:
    return Category.objects.get(code=code)


def make_complaint(
    *,
    app: App | None = None,
    description: str = "这个应用一直索取通讯录权限，不给就闪退。",
    **kwargs,
) -> Complaint:
    """A complaint filed through the real service, as a consumer would."""
    if app is None and "app_name" not in kwargs:
        app = AppFactory()
    complaint, token = complaint_submit(app=app, description=description, **kwargs)
    complaint.test_token = token
    return complaint
