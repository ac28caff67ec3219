"""Synthetic complaint streams for early warning: a quiet background of unrelated complaints
(corpus texts, spread thinly over the weeks before) and bursts of alike ones."""

import datetime
import random

import pytest
from django.db import transaction
from django.utils import timezone

from classifier.dataset import corpus_load
from complaints.models import Complaint
from tests.factories import AppFactory, CompanyFactory, category, make_complaint

# One behaviour told twelve ways: the same app, the same permission, different words.
BURST_TEXTS = [
    "快送外卖强制索取通讯录权限，不给就闪退，根本没法点餐。",
    "快送外卖一打开就要通讯录权限，拒绝之后直接闪退。",
    "打开快送外卖，强制要通讯录权限，不同意就闪退，点不了外卖。",
    "快送外卖要求读取通讯录，不给权限就闪退，太霸道了。",
    "快送外卖不给通讯录权限就闪退，点个外卖还要看我的联系人？",
    "今天更新后快送外卖强制索取通讯录权限，拒绝就闪退。",
    "快送外卖强制获取通讯录权限，拒绝后应用闪退无法使用。",
    "快送外卖每次打开都强制要通讯录权限，不给就闪退退出。",
    "快送外卖非要通讯录权限，不给就闪退，和点外卖有什么关系。",
    "快送外卖强制索取通讯录，拒绝授权后闪退，客服也不管。",
    "快送外卖启动时强制申请通讯录权限，拒绝则闪退。",
    "我拒绝了快送外卖的通讯录权限，它就闪退，强制索取个人信息。",
]


def at_day(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(
        day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone()
    )


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def corpus_texts() -> list[str]:
    texts = [e.text for e in corpus_load() if len(e.text) > 20]
    random.Random(18).shuffle(texts)
    return texts


def labelled(complaint: Complaint, code: str) -> Complaint:
    """As the classifier would have labelled it."""
    complaint.categories.add(category(code))
    return complaint


def file_burst(app, day, texts=BURST_TEXTS, code="over_permission", hour=9) -> list[Complaint]:
    return [
        labelled(
            make_complaint(
                app=app,
                description=text,
                category_hint=category(code),
                submitted_at=at_day(day, hour + i % 8, i),
                send_receipt=False,
                classify=False,
            ),
            code,
        )
        for i, text in enumerate(texts)
    ]


def file_background(
    corpus_texts, *, last_day, days=40, apps=6, per_day=2, seed=1
) -> list[Complaint]:
    """About `per_day` unrelated complaints a day over `days` days before `last_day`, spread
    over `apps` apps of their own, each in a category drawn at random."""
    rng = random.Random(seed)
    pool = [AppFactory() for _ in range(apps)]
    codes = ["over_permission", "fraud", "unauthorized_charges", "illegal_collection"]
    complaints, texts = [], iter(corpus_texts)
    for offset in range(days, 0, -1):
        day = last_day - datetime.timedelta(days=offset)
        for n in range(rng.randint(0, 2 * per_day)):
            code = rng.choice(codes)
            complaint = make_complaint(
                app=rng.choice(pool),
                description=next(texts),
                category_hint=category(code),
                submitted_at=at_day(day, 8 + n % 10, n),
                send_receipt=False,
                classify=False,
            )
            complaints.append(labelled(complaint, code))
    return complaints


# One SDK's behaviour told in the words of users of different apps.
SDK_TEXTS = [
    "{app}在后台偷偷读取剪贴板，还把设备标识上传到第三方服务器。",
    "我发现{app}一直在后台读取剪贴板内容，并上传设备标识。",
    "{app}没经过同意就读取剪贴板，后台上传手机设备标识。",
    "{app}后台频繁读取剪贴板，还偷偷上传设备标识给第三方。",
    "用{app}时系统提示它在后台读取剪贴板，设备标识也被上传。",
    "{app}在后台读取我的剪贴板并上传设备标识，没有告知。",
    "{app}切到后台后仍然读取剪贴板，上传设备标识到第三方。",
    "{app}偷偷读取剪贴板内容，后台上传设备标识，太过分了。",
    "{app}在后台持续读取剪贴板，把设备标识发给第三方服务器。",
]


def embed(app, *sdk_ids: str) -> None:
    """As if an inspection of the app's package found these SDKs."""
    from inspections import catalogue
    from inspections.models import AppInspection
    from inspections.services import embedded_sdks_refresh

    # What the package's classes would show: each SDK's first prefix.
    entries = {sdk["id"]: sdk for sdk in catalogue.sdks()}
    found = catalogue.sdks_detect([entries[i]["prefixes"][0] + ".a" for i in sdk_ids], [])
    AppInspection.objects.create(
        app=app,
        uploaded_at=timezone.now(),
        inspected_at=timezone.now(),
        status=AppInspection.Status.DONE,
        stored_name="x.apk",
        file_sha256="0" * 64,
        file_size=1,
        sdks=found,
    )
    with transaction.atomic():  # as when an inspection finishes
        embedded_sdks_refresh(app_id=app.pk)


def file_sdk_burst(apps, day, code="illegal_collection", texts=SDK_TEXTS) -> list[Complaint]:
    """The texts in turn about each of the apps."""
    complaints = []
    for i, text in enumerate(texts):
        app = apps[i % len(apps)]
        [complaint] = file_burst(app, day, [text.format(app=app.name)], code=code, hour=8 + i)
        complaints.append(complaint)
    return complaints


@pytest.fixture
def three_apps(db):
    """Apps of three companies; all embed Umeng Push, two also Getui."""
    apps = [
        AppFactory(name="快看天气", operator=CompanyFactory(name="天气科技")),
        AppFactory(name="趣读小说", operator=CompanyFactory(name="趣读网络")),
        AppFactory(name="省钱优选", operator=CompanyFactory(name="优选电商")),
    ]
    embed(apps[0], "umeng_push", "getui")
    embed(apps[1], "umeng_push", "amap_location")
    embed(apps[2], "umeng_push", "getui", "bugly")
    return apps
