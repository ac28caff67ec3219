"""Synthetic complaint streams for early warning: a quiet background of unrelated complaints
(corpus texts, spread thinly over the weeks before) and bursts of alike ones."""

import datetime
import random

import pytest
from django.utils import timezone

from classifier.dataset import corpus_load
from complaints.models import Complaint
from tests.factories import AppFactory, category, make_complaint

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
